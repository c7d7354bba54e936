#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What to do with bytes that are not UTF-8.
public enum InvalidUTF8Handling: Sendable {
    /// Stop with `TokenizerError.invalidUTF8`, naming the file and byte offset.
    case reject
    /// Replace each maximal invalid sequence with U+FFFD, as the Unicode standard recommends.
    case replace
}

/// Reads a text file (or standard input) in chunks of whole lines, checking that it is UTF-8 text.
///
/// Memory stays at about one chunk (1 MiB) plus the longest line, whatever the file size, so a
/// vocabulary can be counted over corpora larger than memory. Lines are never split between
/// chunks; a line longer than `maximumLineLength` is an error rather than an unbounded buffer.
public final class TextChunkReader {
    /// The file's path as given ("-" reads standard input).
    public let path: String
    /// The file's size in bytes, when known (not for pipes).
    public let fileSize: Int?
    /// The number of bytes handed out so far.
    public private(set) var bytesRead = 0
    /// The longest line accepted, in bytes.
    public let maximumLineLength: Int

    private let descriptor: Int32
    private let handling: InvalidUTF8Handling
    private let chunkSize: Int
    private var buffer: [UInt8] = []
    private var atEnd = false
    /// The buffer's first `scanned` bytes hold no line feed.
    private var scanned = 0

    /// Opens `path` ("-" for standard input).
    public init(
        path: String, handling: InvalidUTF8Handling = .reject, chunkSize: Int = 1 << 20, maximumLineLength: Int = 1 << 30
    ) throws(TokenizerError) {
        precondition(chunkSize > 0 && maximumLineLength > 0, "chunkSize \(chunkSize) and maximumLineLength \(maximumLineLength) must be positive")
        self.path = path
        self.handling = handling
        self.chunkSize = chunkSize
        self.maximumLineLength = maximumLineLength
        descriptor = try FileIO.openForReading(path)
        fileSize = FileIO.size(of: descriptor)
    }

    deinit { if descriptor != 0 { close(descriptor) } }

    /// The name of the file in messages.
    public var displayName: String { path == "-" ? FileIO.standardInputName : path }

    /// The next chunk: whole lines, each ending in a line feed except perhaps the file's last;
    /// `nil` after the end of the file.
    public func nextChunk() throws(TokenizerError) -> [UInt8]? {
        while !atEnd {
            // Pipes and terminals hand out lines as they arrive, so `quill tokenize` can stream.
            if buffer.count >= chunkSize || (fileSize == nil && !buffer.isEmpty) {
                if let lineFeed = lastLineFeed() { return try take(lineFeed + 1) }
                // The buffer holds the start of one line that began at `bytesRead`.
                guard buffer.count <= maximumLineLength else {
                    throw .lineTooLong(path: displayName, byteOffset: bytesRead, limit: maximumLineLength)
                }
                scanned = buffer.count
            }
            // A regular file is read no further than one byte past its size (to see its end), so a
            // small file does not cost a chunk-sized read buffer; one that grew is read in chunks.
            let unread = fileSize.map { $0 - bytesRead - buffer.count } ?? chunkSize
            let count = unread >= 0 ? min(chunkSize, unread + 1) : chunkSize
            if try FileIO.readChunk(descriptor, appendingTo: &buffer, count: count, path: displayName) == 0 {
                atEnd = true
            }
        }
        return buffer.isEmpty ? nil : try take(buffer.count)
    }

    /// The index of the buffer's last line feed, searching only bytes not yet scanned.
    private func lastLineFeed() -> Int? {
        buffer.withUnsafeBufferPointer { bytes in
            var i = bytes.count
            while i > scanned {
                i -= 1
                if bytes[i] == 0x0A { return i }
            }
            return nil
        }
    }

    /// Removes the first `count` bytes from the buffer, checks them and returns them.
    private func take(_ count: Int) throws(TokenizerError) -> [UInt8] {
        var chunk = Array(buffer[..<count])
        buffer.removeFirst(count)
        scanned = buffer.count
        defer { bytesRead += count }
        try chunk.withUnsafeBufferPointer { bytes throws(TokenizerError) in
            if let offset = UTF8Validation.firstNUL(in: bytes) {
                throw .binaryFile(path: displayName, byteOffset: bytesRead + offset)
            }
        }
        let invalid = chunk.withUnsafeBufferPointer { UTF8Validation.firstInvalidOffset(in: $0) }
        if let offset = invalid {
            guard handling == .replace else { throw .invalidUTF8(path: displayName, byteOffset: bytesRead + offset) }
            chunk = Array(chunk.withUnsafeBufferPointer { UTF8Validation.repairing($0) }.utf8)
        }
        return chunk
    }
}
