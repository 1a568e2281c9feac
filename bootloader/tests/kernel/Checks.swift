/// Counts and prints the probe's checks: `kernel: check <what>: ok` or `... FAILED`.
struct Checks {
    private(set) var passed = 0
    private(set) var failed = 0

    mutating func expect(_ condition: Bool, _ what: StaticString) {
        Serial.write("kernel: check ")
        Serial.write(what)
        if condition {
            passed += 1
            Serial.write(": ok\n")
        } else {
            failed += 1
            Serial.write(": FAILED\n")
        }
    }
}
