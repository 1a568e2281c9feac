/// Sizes as the tools read and print them.
///
/// Reading: a byte count with an optional unit, as upstream's resize accepts: `K`, `M`, `G`, `T`,
/// `P` (with or without `B`) are powers of 1000; `Ki`, `Mi`, … (with or without `B`) powers of 1024;
/// case is ignored and a fraction is allowed (`1.5GiB`). Printing: `20.19 MB (19.25 MiB)`, whole
/// values without decimals, as upstream prints them.
public enum ByteSize {
    private static let decimalUnits = ["B", "KB", "MB", "GB", "TB", "PB"]
    private static let binaryUnits = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]

    /// The byte count `text` names, or nil when it is not a size.
    public static func parse(_ text: String) -> UInt64? {
        let trimmed = text.lowercased().filter { $0 != " " && $0 != "_" }
        let unitStart = trimmed.firstIndex(where: { !$0.isASCII || !($0.isNumber || $0 == ".") }) ?? trimmed.endIndex
        let number = String(trimmed[..<unitStart])
        var unit = String(trimmed[unitStart...])
        if unit.hasSuffix("b") { unit.removeLast() }
        let multiplier: UInt64
        switch unit {
        case "": multiplier = 1
        case "k": multiplier = 1_000
        case "m": multiplier = 1_000_000
        case "g": multiplier = 1_000_000_000
        case "t": multiplier = 1_000_000_000_000
        case "p": multiplier = 1_000_000_000_000_000
        case "ki": multiplier = 1 << 10
        case "mi": multiplier = 1 << 20
        case "gi": multiplier = 1 << 30
        case "ti": multiplier = 1 << 40
        case "pi": multiplier = 1 << 50
        default: return nil
        }
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let wholeText = parts.first, !wholeText.isEmpty || parts.count == 2 else { return nil }
        let whole = wholeText.isEmpty ? 0 : UInt64(wholeText)
        guard let whole else { return nil }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { return nil }
        guard parts.count == 2 else { return scaled }
        let fractionText = parts[1].prefix(18)
        guard !fractionText.isEmpty || !wholeText.isEmpty, fractionText.allSatisfy(\.isNumber) else { return nil }
        var fraction: UInt64 = 0
        var denominator: UInt64 = 1
        for digit in fractionText {
            fraction = fraction * 10 + UInt64(digit.wholeNumberValue ?? 0)
            denominator *= 10
        }
        // fraction / denominator < 1, so the product stays below `multiplier`.
        let extra = UInt64((Double(fraction) / Double(denominator) * Double(multiplier)).rounded(.down))
        let (total, carry) = scaled.addingReportingOverflow(extra)
        return carry ? nil : total
    }

    /// `bytes` in decimal and binary units: `20.19 MB (19.25 MiB)`.
    public static func describe(_ bytes: UInt64) -> String {
        "\(scaled(bytes, base: 1000, units: decimalUnits)) (\(scaled(bytes, base: 1024, units: binaryUnits)))"
    }

    /// `bytes` in the largest decimal unit it reaches: `67 MB`, `20.19 MB`.
    public static func decimalUnits(_ bytes: UInt64) -> String { scaled(bytes, base: 1000, units: decimalUnits) }

    private static func scaled(_ bytes: UInt64, base: UInt64, units: [String]) -> String {
        var unit: UInt64 = 1
        var index = 0
        while index + 1 < units.count, bytes / unit >= base {
            unit *= base
            index += 1
        }
        if bytes % unit == 0 { return "\(bytes / unit) \(units[index])" }
        return "\(decimal(Double(bytes) / Double(unit), places: 2)) \(units[index])"
    }

    /// `bytes` in MiB with one decimal.
    public static func mebibytes(_ bytes: UInt64) -> String { decimal(Double(bytes) / 1_048_576, places: 1) }

    /// `value` with exactly `places` decimals.
    public static func decimal(_ value: Double, places: Int) -> String {
        var scale: Int64 = 1
        for _ in 0..<places { scale *= 10 }
        let scaled = (value * Double(scale)).rounded()
        guard scaled.isFinite, abs(scaled) < 9e18 else { return String(value) }
        let n = Int64(scaled)
        let sign = n < 0 ? "-" : ""
        let whole = abs(n) / scale
        guard places > 0 else { return sign + String(whole) }
        let fraction = String(abs(n) % scale)
        return sign + "\(whole)." + String(repeating: "0", count: places - fraction.count) + fraction
    }
}
