/// Comparisons whose running time does not depend on where secret inputs differ.
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes.
    ///
    /// Collections of different lengths are unequal at once (lengths are not secret: hash and tag
    /// lengths are public parameters). For equal lengths every byte pair is visited and the
    /// differences are accumulated, so the time depends only on the length, never on the
    /// position of the first difference.
    public static func equals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(a, b) {
            difference |= left ^ right
        }
        return isZero(difference)
    }

    /// Tests the accumulated difference once, after the loop. Kept out of line so the test is not
    /// merged into the loop by the optimiser.
    @inline(never)
    static func isZero(_ difference: UInt8) -> Bool {
        difference == 0
    }
}
