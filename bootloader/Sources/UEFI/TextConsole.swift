/// EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL.
struct TextOutput {
    let table: FirmwareTable

    /// Prints UCS-2 text; `text` must end with a zero unit.
    func output(_ text: UnsafeBufferPointer<UInt16>) {
        table.callMember(8, bits(text.baseAddress))
    }

    /// The number of text modes (Mode->MaxMode).
    var modeCount: Int {
        guard let mode = table.pointer(72) else { return 0 }
        return Int(mode.loadUnaligned(as: Int32.self))
    }

    /// Columns and rows of `mode`, or nil when the mode is not supported.
    func size(ofMode mode: Int) -> (columns: Int, rows: Int)? {
        var columns: UInt64 = 0
        var rows: UInt64 = 0
        let status = withUnsafeMutablePointer(to: &columns) { columnsPointer in
            withUnsafeMutablePointer(to: &rows) { table.callMember(24, UInt64(mode), bits(columnsPointer), bits($0)) }
        }
        return status.isError ? nil : (Int(columns), Int(rows))
    }

    func setMode(_ mode: Int) {
        table.callMember(32, UInt64(mode))
    }

    func showCursor(_ visible: Bool) {
        table.callMember(64, visible ? 1 : 0)
    }

    /// SetAttribute: foreground in the low nibble, background in the next three bits.
    func setAttribute(_ attribute: Int) {
        table.callMember(40, UInt64(attribute))
    }

    func setCursorPosition(column: Int, row: Int) {
        table.callMember(56, UInt64(column), UInt64(row))
    }

    /// Mode->CursorRow.
    var cursorRow: Int {
        guard let mode = table.pointer(72) else { return 0 }
        return Int(mode.loadUnaligned(fromByteOffset: 16, as: Int32.self))
    }
}

/// EFI_SIMPLE_TEXT_INPUT_PROTOCOL.
struct TextInput {
    let table: FirmwareTable

    /// A key press: a scan code for special keys, else a UCS-2 character.
    struct Key {
        var scanCode: UInt16
        var character: UInt16
    }

    /// The next pending key, or nil when none is waiting.
    func readKey() -> Key? {
        var raw: UInt32 = 0
        let status = withUnsafeMutablePointer(to: &raw) { table.callMember(8, bits($0)) }
        guard !status.isError else { return nil }
        return Key(scanCode: UInt16(truncatingIfNeeded: raw), character: UInt16(truncatingIfNeeded: raw >> 16))
    }
}
