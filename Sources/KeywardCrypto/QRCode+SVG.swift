extension QRCode {
    /// A self-contained SVG image of the symbol, safe to embed inline in HTML or serve as
    /// `image/svg+xml`.
    ///
    /// One user unit is one module. The image is black on a white background with the
    /// ``quietZoneModules``-wide quiet zone included, so its `viewBox` is
    /// `size + 8` units square. The dark modules form a single `<path>`, one rectangle per
    /// horizontal run, drawn with `shape-rendering="crispEdges"` so that scaling leaves no
    /// seams between modules. `stroke="none"` is spelled out because some renderers
    /// (ImageMagick's built-in one) otherwise outline every run and merge the modules.
    ///
    /// - Parameters:
    ///   - label: The image's accessible name, written to `aria-label` with `role="img"`
    ///     (for example "QR code to add your account to an authenticator app"). It is escaped
    ///     for XML; characters XML 1.0 cannot carry are dropped.
    ///   - pixelSize: The width and height in CSS pixels, quiet zone included. `nil` leaves both
    ///     out, so that the image fills the width its container gives it.
    public func svg(label: String, pixelSize: Int? = nil) -> String {
        let side = size + 2 * Self.quietZoneModules
        var svg = #"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(side) \#(side)""#
        if let pixelSize { svg += #" width="\#(pixelSize)" height="\#(pixelSize)""# }
        svg += #" stroke="none" role="img" aria-label="\#(Self.escapedForXMLAttribute(label))">"#
        svg += ##"<rect width="\##(side)" height="\##(side)" fill="#fff"/>"##
        svg += ##"<path fill="#000" shape-rendering="crispEdges" d=""##
        svg += String(decoding: pathData(), as: UTF8.self)
        svg += #""/></svg>"#
        return svg
    }

    /// `M x y h n v1 h-n z` for each horizontal run of dark modules, in user units that include
    /// the quiet zone.
    func pathData() -> [UInt8] {
        var path: [UInt8] = []
        path.reserveCapacity(size * size * 3)
        for row in 0..<size {
            var column = 0
            while column < size {
                guard modules[row * size + column] else {
                    column += 1
                    continue
                }
                let runStart = column
                while column < size, modules[row * size + column] { column += 1 }
                path.append(UInt8(ascii: "M"))
                Self.appendDecimal(runStart + Self.quietZoneModules, to: &path)
                path.append(UInt8(ascii: " "))
                Self.appendDecimal(row + Self.quietZoneModules, to: &path)
                path.append(UInt8(ascii: "h"))
                Self.appendDecimal(column - runStart, to: &path)
                path.append(contentsOf: "v1h-".utf8)
                Self.appendDecimal(column - runStart, to: &path)
                path.append(UInt8(ascii: "z"))
            }
        }
        return path
    }

    /// Appends the decimal digits of `value`, which is below 1000.
    private static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
        if value >= 100 { bytes.append(UInt8(ascii: "0") + UInt8(value / 100)) }
        if value >= 10 { bytes.append(UInt8(ascii: "0") + UInt8(value / 10 % 10)) }
        bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    static func escapedForXMLAttribute(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            case "\t", "\n", "\r": escaped += "&#\(scalar.value);"
            case "\u{0}"..."\u{1F}", "\u{FFFE}", "\u{FFFF}": continue
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
