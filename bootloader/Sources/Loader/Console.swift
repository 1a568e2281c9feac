/// The loader's console: the firmware's text output (screen, and the serial port when the firmware
/// mirrors it there) plus COM1 driven directly whenever the firmware does not cover it.
enum Console {
    /// A key read from the firmware console or the serial port.
    enum Key: Equatable {
        case character(UInt8)
        case enter
        case backspace
        case other
    }

    /// Whether the firmware's ConOut includes a serial terminal (a UART node in the `ConOut`
    /// variable), in which case writing COM1 directly as well would print everything twice.
    nonisolated(unsafe) private static var firmwareMirrorsSerial = false

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

    /// Writes `bytes` ("\n" ends a line) to every output.
    static func write(_ bytes: [UInt8]) {
        if let boot = Firmware.boot, let output = Firmware.systemTable?.consoleOut {
            _ = boot
            var wide: [UInt16] = []
            wide.reserveCapacity(bytes.count + 8)
            for byte in bytes {
                if byte == 0x0A { wide.append(0x0D) }
                wide.append(UInt16(byte))
            }
            wide.append(0)
            wide.withUnsafeBufferPointer { output.output($0) }
        }
        if !Firmware.bootServicesActive || !firmwareMirrorsSerial {
            bytes.withUnsafeBytes { SerialPort.write($0) }
        }
    }

    /// Prints one line.
    static func print(_ message: Message) {
        write(message.bytes + [0x0A])
    }

    /// Prints `message` as a fatal error and waits: for a key (then the machine is reset) while
    /// boot services run, forever otherwise. Never returns.
    static func fatal(_ message: Message) -> Never {
        print("")
        print("BOOTLOADER ERROR: \(message)")
        guard Firmware.bootServicesActive, let system = Firmware.systemTable else {
            print("The system is halted.")
            cpu_halt_forever()
        }
        print("Press any key to restart.")
        while readKey() != nil {}
        while readKey() == nil { system.bootServices.stall(microseconds: 10_000) }
        system.runtimeServices.reset(shutdown: false)
    }

    /// Prints `message` and halts without allocating: the only error path after ExitBootServices.
    static func haltWithoutBootServices(_ message: StaticString) -> Never {
        if Firmware.bootServicesActive { fatal("\(message)") }
        for text: StaticString in ["\nBOOTLOADER ERROR: ", message, "\nThe system is halted.\n"] {
            SerialPort.write(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }
        cpu_halt_forever()
    }

    /// The next key from the firmware console or (when the firmware does not read it) COM1.
    static func readKey() -> Key? {
        if let input = Firmware.systemTable?.consoleIn, Firmware.bootServicesActive, let key = input.readKey() {
            switch key.character {
            case 0x0D, 0x0A: return .enter
            case 0x08: return .backspace
            case 0x20...0x7E: return .character(UInt8(key.character))
            default: return key.scanCode == 8 ? .backspace : .other
            }
        }
        if !firmwareMirrorsSerial, let byte = SerialPort.read() {
            switch byte {
            case 0x0D, 0x0A: return .enter
            case 0x08, 0x7F: return .backspace
            case 0x20...0x7E: return .character(byte)
            default: return .other
            }
        }
        return nil
    }
}
