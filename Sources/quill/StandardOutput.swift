import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Buffers standard output and writes it in large blocks, so output costs no more than the work;
/// input from a pipe or terminal gets its output line by line.
///
/// Every result quill prints goes through C's `stdout`, as `print` does, so results keep their
/// order whether stdout is a terminal, a pipe or a file; a write that fails (a full disk) throws
/// ``StandardOutputError`` instead of trapping or being lost.
struct StandardOutput {
    /// Whether each line is written at once, for input that arrives a line at a time.
    let flushesEachLine: Bool
    private var buffer: [UInt8] = []

    init(flushesEachLine: Bool) { self.flushesEachLine = flushesEachLine }

    mutating func write(_ text: String) { buffer.append(contentsOf: text.utf8) }

    mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) { buffer.append(contentsOf: bytes) }

    mutating func endLine() throws {
        buffer.append(0x0A)
        if flushesEachLine || buffer.count >= 1 << 16 { try flush() }
    }

    mutating func flush() throws {
        buffer.withUnsafeBufferPointer { _ = fwrite($0.baseAddress, 1, $0.count, stdout) }
        buffer.removeAll(keepingCapacity: true)
        try Self.flush()
    }

    /// Writes `text` to stdout at once: text that arrives piece by piece, such as sampled tokens.
    static func write(_ text: String) throws {
        fputs(text, stdout)
        try flush()
    }

    /// Flushes C's stdout (where `print` writes too), throwing if anything written to it failed.
    static func flush() throws {
        if fflush(stdout) != 0 || ferror(stdout) != 0 { throw StandardOutputError(code: errno == 0 ? EIO : errno) }
    }
}

/// Standard output could not be written: the disk is full, or it was closed.
struct StandardOutputError: LocalizedError, ClassifiedError {
    /// The `errno` of the failed write.
    var code: Int32

    var errorDescription: String? { "cannot write to standard output: \(String(cString: strerror(code)))." }

    var exitCode: ExitCode { Exit.failure }
}
