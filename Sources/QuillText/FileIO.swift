#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and atomic writes through POSIX calls, with errors that name the file.
enum FileIO {
    /// The name used for standard input in messages.
    static let standardInputName = "<stdin>"

    /// Opens `path` ("-" is standard input) for reading.
    static func openForReading(_ path: String) throws(TokenizerError) -> Int32 {
        if path == "-" { return 0 }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw readError(errno, path: path) }
        var info = stat()
        if fstat(descriptor, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            close(descriptor)
            throw .unreadableFile(path: path, reason: "it is a directory")
        }
        return descriptor
    }

    /// The size of the open file, when it is a regular file.
    static func size(of descriptor: Int32) -> Int? {
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    /// Reads up to `count` bytes and appends them to `buffer`; returns how many were read (0 at the end).
    static func readChunk(_ descriptor: Int32, appendingTo buffer: inout [UInt8], count: Int, path: String) throws(TokenizerError) -> Int {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
        defer { scratch.deallocate() }
        while true {
            let got = read(descriptor, scratch.baseAddress, count)
            if got >= 0 {
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[..<got]))
                return got
            }
            if errno != EINTR { throw readError(errno, path: path) }
        }
    }

    /// The whole contents of `path`.
    static func readAll(_ path: String) throws(TokenizerError) -> [UInt8] {
        let descriptor = try openForReading(path)
        defer { if descriptor != 0 { close(descriptor) } }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size(of: descriptor) ?? 1 << 16)
        while try readChunk(descriptor, appendingTo: &bytes, count: 1 << 20, path: path) > 0 {}
        return bytes
    }

    /// Writes `bytes` to `path` through a temporary file and a rename, so readers never see half a file.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(TokenizerError) {
        let temporary = path + ".partial"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw writeError(errno, path: path) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                let code = errno
                close(descriptor)
                unlink(temporary)
                throw writeError(code, path: path)
            }
            written += result
        }
        guard close(descriptor) == 0, rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw writeError(code, path: path)
        }
    }

    private static func writeError(_ code: Int32, path: String) -> TokenizerError {
        .unwritableFile(path: path, reason: String(cString: strerror(code)))
    }

    private static func readError(_ code: Int32, path: String) -> TokenizerError {
        code == ENOENT ? .fileNotFound(path: path) : .unreadableFile(path: path, reason: String(cString: strerror(code)))
    }
}
