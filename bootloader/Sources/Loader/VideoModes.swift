/// A video mode an output offers: its firmware number, resolution and stride (pixels per scan
/// line), and the frame buffer's physical address when the firmware tells it before the mode is
/// set (VBE does; GOP only after SetMode, so 0 there).
struct VideoMode: Equatable {
    var id: UInt32
    var width: Int
    var height: Int
    var stride: Int
    var frameBuffer: UInt64 = 0
}

/// The mode-selection screen of spec §6: the modes sorted by pixel area (largest first) in
/// columns of 12 rows, 20 characters wide, each `WWWWxHHHH AAA:BBB`; the preferred resolution
/// (from EDID, else the firmware's current mode) or else the largest is selected first; the
/// arrow keys move, Enter accepts, and after `timeout` seconds without a key the selection is
/// taken as it is.
enum ModeSelection {
    static let rowsPerColumn = 12
    static let columnWidth = 20
    /// Seconds before the highlighted mode is taken without a key.
    static let timeout = 3
    /// Polls of `Platform.idle()` (about 5 ms each) per second.
    private static let pollsPerSecond = 200
    /// Live mode (spec §7) as the screen shows it: nil when the loader offers none (BIOS); `l`
    /// toggles it and rewrites the hint line above the grid.
    nonisolated(unsafe) static var live: Bool?

    /// The modes in screen order.
    static func sorted(_ modes: [VideoMode]) -> [VideoMode] {
        modes.sorted { ($0.width * $0.height, $0.width) > ($1.width * $1.height, $1.width) }
    }

    /// Shows the screen and returns the chosen mode, or nil when `modes` is empty.
    static func choose(from modes: [VideoMode], preferred: (width: Int, height: Int)?) -> VideoMode? {
        let modes = sorted(modes)
        guard !modes.isEmpty else { return nil }
        var selected = modes.firstIndex { $0.width == preferred?.width && $0.height == preferred?.height } ?? 0
        let rows = min(modes.count, rowsPerColumn)

        Console.print("Video modes (arrow keys to choose, Enter to accept):")
        if let live { Console.print(liveHint(live)) }
        for row in 0..<rows {
            var line: [UInt8] = []
            for index in stride(from: row, to: modes.count, by: rowsPerColumn) {
                line += cell(modes[index])
            }
            Console.print(Message(bytes: line))
        }
        // The grid may have scrolled the screen: its top is `rows` lines above the cursor.
        let gridTop = max(Console.cursorRow - rows, 0)
        draw(modes, selected, highlighted: true, top: gridTop)

        var polls = 0
        var waiting = true
        while true {
            guard let key = ConsoleInput.readKey() else {
                Platform.idle()
                polls += 1
                if waiting && polls >= timeout * pollsPerSecond { break }
                continue
            }
            waiting = false
            var next = selected
            switch key {
            case .up: next = selected % rowsPerColumn > 0 ? selected - 1 : selected
            case .down: next = selected + 1 < modes.count && (selected + 1) % rowsPerColumn != 0 ? selected + 1 : selected
            case .left: next = selected >= rowsPerColumn ? selected - rowsPerColumn : selected
            case .right: next = selected + rowsPerColumn < modes.count ? selected + rowsPerColumn : selected
            case .enter: break
            case .character(0x6C):
                if let live {
                    self.live = !live
                    Console.moveCursor(column: 0, row: max(gridTop - 1, 0))
                    Console.write(liveHint(!live).bytes)
                }
                continue
            default: continue
            }
            if key == .enter { break }
            if next != selected {
                draw(modes, selected, highlighted: false, top: gridTop)
                selected = next
                draw(modes, selected, highlighted: true, top: gridTop)
            }
        }
        Console.moveCursor(column: 0, row: gridTop + rows)
        let mode = modes[selected]
        let how: StaticString = waiting ? " (timeout)" : ""
        Console.print("Video mode: \(mode.width)x\(mode.height)\(how)")
        if let live { Console.print(live ? "Live mode: on" : "Live mode: off") }
        return mode
    }

    private static func liveHint(_ on: Bool) -> Message {
        let state: StaticString = on ? "on " : "off"
        return "Live mode: \(state) (l toggles)"
    }

    private static func draw(_ modes: [VideoMode], _ index: Int, highlighted: Bool, top: Int) {
        Console.moveCursor(column: index / rowsPerColumn * columnWidth, row: top + index % rowsPerColumn)
        Console.highlight(highlighted)
        Console.write(cell(modes[index]))
        Console.highlight(false)
    }

    /// `WWWWxHHHH AAA:BBB` padded to the column width (the aspect ratio reduced by trial division).
    static func cell(_ mode: VideoMode) -> [UInt8] {
        var aspectWidth = mode.width
        var aspectHeight = mode.height
        var divisor = 2
        while divisor <= min(aspectWidth, aspectHeight) {
            if aspectWidth % divisor == 0 && aspectHeight % divisor == 0 {
                aspectWidth /= divisor
                aspectHeight /= divisor
            } else {
                divisor += 1
            }
        }
        var text: [UInt8] = []
        pad(&text, decimal: mode.width, to: 4, left: true)
        text.append(UInt8(ascii: "x"))
        pad(&text, decimal: mode.height, to: 4, left: false)
        text.append(UInt8(ascii: " "))
        pad(&text, decimal: aspectWidth, to: 3, left: true)
        text.append(UInt8(ascii: ":"))
        pad(&text, decimal: aspectHeight, to: 3, left: false)
        while text.count < columnWidth { text.append(UInt8(ascii: " ")) }
        return text
    }

    private static func pad(_ text: inout [UInt8], decimal value: Int, to width: Int, left: Bool) {
        var digits: [UInt8] = []
        digits.appendDecimal(value)
        let padding = [UInt8](repeating: UInt8(ascii: " "), count: max(width - digits.count, 0))
        text += left ? padding + digits : digits + padding
    }

    /// The preferred resolution from a 128-byte EDID block: the first detailed timing descriptor.
    static func preferredResolution(edid: UnsafeRawBufferPointer) -> (width: Int, height: Int)? {
        guard edid.count >= 128 else { return nil }
        let width = Int(edid[0x38]) | Int(edid[0x3A] & 0xF0) << 4
        let height = Int(edid[0x3B]) | Int(edid[0x3D] & 0xF0) << 4
        return width > 0 && height > 0 ? (width, height) : nil
    }
}
