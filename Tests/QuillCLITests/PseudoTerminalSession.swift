import Foundation
import TestSupport

/// Runs `quill` under a pseudo-terminal (through util-linux `script`), so it sees a terminal
/// on stdin and stdout: libedit, prompts, history and Ctrl-C behave as for a person.
final class PseudoTerminalSession {
    private let process = Process()
    private let input = Pipe()
    private let outputPipe = Pipe()
    private let lock = NSLock()
    private var buffer = Data()

    init(arguments: [String], home: String) throws {
        let command = "exec " + ([quillExecutable.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qfec", command, "/dev/null"]
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home
        environment["TERM"] = "xterm"
        environment["LANG"] = "C.UTF-8"
        environment["LC_ALL"] = "C.UTF-8"
        process.environment = environment
        process.standardInput = input
        process.standardOutput = outputPipe
        process.standardError = outputPipe
        outputPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self else { return }
            self.lock.lock(); self.buffer.append(data); self.lock.unlock()
        }
        try process.run()
        Thread.sleep(forTimeInterval: 0.5)
    }

    deinit {
        if process.isRunning { process.terminate() }
        outputPipe.fileHandleForReading.readabilityHandler = nil
    }

    /// Everything the terminal showed so far.
    var output: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: buffer, as: UTF8.self)
    }

    var isRunning: Bool { process.isRunning }

    /// Types `text` (use "\r" for Enter, "\u{03}" for Ctrl-C, "\u{04}" for Ctrl-D).
    func send(_ text: String) {
        input.fileHandleForWriting.write(Data(text.utf8))
        Thread.sleep(forTimeInterval: 0.3)
    }

    /// Waits until the output contains `text`.
    func waitFor(_ text: String, timeout: Double) -> Bool {
        poll(timeout) { self.output.contains(text) }
    }

    /// Waits until `text` appears in the output past its first `offset` bytes.
    func waitFor(_ text: String, after offset: Int, timeout: Double) -> Bool {
        poll(timeout) {
            let bytes = Array(self.output.utf8)
            guard bytes.count > offset else { return false }
            return String(decoding: bytes[offset...], as: UTF8.self).contains(text)
        }
    }

    /// Waits until the output has grown past `count` bytes.
    func waitForOutput(longerThan count: Int, timeout: Double) -> Bool {
        poll(timeout) { self.output.utf8.count > count }
    }

    /// Waits for the session to end and returns its exit status (nil on timeout).
    func waitForExit(timeout: Double) -> Int32? {
        guard poll(timeout, { !self.process.isRunning }) else { return nil }
        return process.terminationStatus
    }

    private func poll(_ timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return condition()
    }
}
