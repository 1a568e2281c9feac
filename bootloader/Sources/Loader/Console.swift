/// The loader's console output: the firmware's text output (the screen, and the serial port when
/// the firmware mirrors it there) plus COM1 driven directly whenever the firmware does not cover
/// it (no serial console in `ConOut`, or boot services gone). Writing never allocates; text, lines
/// and the serial terminal's sequences are ConsoleText's.
enum Console: ConsoleText {
    /// Whether the firmware's ConOut includes a serial terminal (a UART node in the `ConOut`
    /// variable), in which case writing COM1 directly as well would print everything twice.
    nonisolated(unsafe) private(set) static var firmwareMirrorsSerial = false

    /// Disables the watchdog, selects the largest text mode, hides the cursor and sets up COM1.
    static func setUp() {
        guard let system = Firmware.systemTable, let boot = Firmware.boot else { return }
        boot.disableWatchdog()
        if let conOut = system.runtimeServices.variable("ConOut", vendor: .globalVariable) {
            firmwareMirrorsSerial = DevicePath.listContainsUART(conOut)
        }
        if !firmwareMirrorsSerial { SerialPort.configure() }
        if let output = system.consoleOut {
            var best: (mode: Int, cells: Int)?
            for mode in 0..<output.modeCount {
                guard let size = output.size(ofMode: mode) else { continue }
                if size.columns * size.rows > best?.cells ?? 0 { best = (mode, size.columns * size.rows) }
            }
            if let best { output.setMode(best.mode) }
            output.showCursor(false)
        }
    }

    /// Writes ASCII `bytes` ("\n" ends a line) to every output.
    static func write(_ bytes: UnsafeRawBufferPointer) {
        if Firmware.bootServicesActive, let output = Firmware.systemTable?.consoleOut {
            // UCS-2 for the firmware, in chunks through a stack buffer.
            withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 130) { wide in
                var count = 0
                for byte in bytes {
                    if byte == 0x0A {
                        wide[count] = 0x0D
                        count += 1
                    }
                    wide[count] = UInt16(byte)
                    count += 1
                    if count >= 128 {
                        wide[count] = 0
                        output.output(UnsafeBufferPointer(wide))
                        count = 0
                    }
                }
                wide[count] = 0
                output.output(UnsafeBufferPointer(wide))
            }
        }
        if !Firmware.bootServicesActive || !firmwareMirrorsSerial {
            SerialPort.write(bytes)
        }
    }

    /// The cursor's row on the firmware's screen (0 without one).
    static var cursorRow: Int {
        guard Firmware.bootServicesActive, let output = Firmware.systemTable?.consoleOut else { return 0 }
        return output.cursorRow
    }

    /// Moves the cursor (the firmware's screen; an ANSI sequence on a directly driven COM1).
    static func moveCursor(column: Int, row: Int) {
        if Firmware.bootServicesActive, let output = Firmware.systemTable?.consoleOut {
            output.setCursorPosition(column: column, row: row)
        }
        if !Firmware.bootServicesActive || !firmwareMirrorsSerial {
            moveSerialCursor(column: column, row: row)
        }
    }

    /// Highlighted text (black on grey, attribute 0x70) or normal text (0x07).
    static func highlight(_ on: Bool) {
        if Firmware.bootServicesActive, let output = Firmware.systemTable?.consoleOut {
            output.setAttribute(on ? 0x70 : 0x07)
        }
        if !Firmware.bootServicesActive || !firmwareMirrorsSerial {
            highlightSerial(on)
        }
    }

    /// Prints `message` as a fatal error and waits: for a key (then the machine is reset) while
    /// boot services run, forever otherwise.
    static func fatal(_ message: Message) -> Never {
        printFatal(message)
        guard Firmware.bootServicesActive, let system = Firmware.systemTable else { halt() }
        waitForRestartKey { system.bootServices.stall(microseconds: 10_000) }
        system.runtimeServices.reset(shutdown: false)
    }

    /// Prints `message` as a fatal error and halts, without allocating: for errors after
    /// ExitBootServices, when the heap is gone, and for processor exceptions.
    static func fatal(static message: StaticString) -> Never {
        write("\nBOOTLOADER ERROR: ")
        write(message)
        write("\n")
        halt()
    }

    private static func halt() -> Never {
        write("The system is halted.\n")
        cpu_halt_forever()
    }
}
