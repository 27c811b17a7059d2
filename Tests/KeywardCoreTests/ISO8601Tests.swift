import Foundation
import KeywardCore
import Testing

@Suite struct ISO8601Tests {
    @Test func timestampsMatchFoundationsFormatToTheSecond() {
        let style = Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!)
        var generator = SystemRandomNumberGenerator()
        var dates = [0, 951_782_400, 951_868_800, 4_107_542_400, 253_402_300_799, 1_790_000_000.999]
            .map(Date.init(timeIntervalSince1970:))
        for _ in 0..<2000 {
            dates.append(Date(timeIntervalSince1970: Double.random(in: 0..<253_402_300_800, using: &generator)))
        }
        for date in dates {
            #expect(ISO8601.string(date) == date.formatted(style), "\(date.timeIntervalSince1970)")
        }
    }

    @Test func aKnownInstantReadsAsExpected() {
        #expect(ISO8601.string(Date(timeIntervalSince1970: 1_795_812_082)) == "2026-11-27T20:41:22Z")
        #expect(ISO8601.string(Date(timeIntervalSince1970: 951_825_599)) == "2000-02-29T11:59:59Z")
    }
}
