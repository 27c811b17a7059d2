extension QRCode {
    /// The penalty score of a masked symbol by the four rules of ISO/IEC 18004's evaluation of
    /// data masking results (weights N1 = 3, N2 = 3, N3 = 40, N4 = 10):
    /// 1. each row or column run of five or more same-coloured modules scores N1 + (length − 5);
    /// 2. each 2 × 2 block of one colour scores N2 (blocks may overlap);
    /// 3. each 1:1:3:1:1 dark–light–dark–dark–dark–light–dark run in a row or column with four
    ///    light modules before or after it scores N3; the quiet zone counts as light;
    /// 4. each full 5 % by which the dark share deviates from 50 % scores N4.
    ///
    /// `modules` is row-major, `size * size` entries, `true` for dark.
    ///
    /// The loops avoid data-dependent branches: module colours are close to random after
    /// masking, so branching on them would mispredict about half the time.
    static func penalty(_ modules: [Bool], size: Int) -> Int {
        modules.withUnsafeBufferPointer { modules in
            var total = 0
            for line in 0..<size {
                total += linePenalty(modules, start: line * size, step: 1, count: size)
                total += linePenalty(modules, start: line, step: size, count: size)
            }

            var darkCount = 0
            for index in modules.indices { darkCount += modules[index] ? 1 : 0 }
            for row in 0..<(size - 1) {
                for column in 0..<(size - 1) {
                    let index = row * size + column
                    let darkInBlock = (modules[index] ? 1 : 0) + (modules[index + 1] ? 1 : 0)
                        + (modules[index + size] ? 1 : 0) + (modules[index + size + 1] ? 1 : 0)
                    total += darkInBlock & 3 == 0 ? 3 : 0
                }
            }
            total += 10 * (abs(darkCount * 20 - modules.count * 10) / modules.count)
            return total
        }
    }

    /// Rules 1 and 3 along the `count` modules from `start`, `step` apart: one row or column.
    static func linePenalty(_ modules: UnsafeBufferPointer<Bool>, start: Int, step: Int, count: Int) -> Int {
        var penalty = 0
        var previousBit = modules[start] ? 0 : 1
        var runLength = 0
        // A 15-module window: four modules before a 1:1:3:1:1 core, seven of core, four after.
        var window = 0
        let core = 0b1011101
        for position in 0..<(count + 4) {
            // Past the end of the line, the quiet zone supplies light modules.
            let bit = position < count && modules[start + position * step] ? 1 : 0
            if position < count {
                // All ones when the colour repeats, zero when it changes.
                let continuesRun = (bit ^ previousBit) &- 1
                runLength = (runLength & continuesRun) &+ 1
                previousBit = bit
                // A run scores 3 when it reaches five modules and 1 for each module after.
                penalty &+= runLength == 5 ? 3 : runLength > 5 ? 1 : 0
            }
            window = (window << 1 | bit) & 0x7FFF
            // Before the line, the quiet zone is light, so the window starts as all zeros.
            if window >> 4 & 0x7F == core, window >> 11 == 0 || window & 0xF == 0 {
                penalty += 40
            }
        }
        return penalty
    }
}
