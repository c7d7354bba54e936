import QuillText

/// The corpus readers every command that reads text goes through: `TextChunkReader` (chunks of
/// whole lines, which the vocabulary builder and BPE trainer count) and `TextLineReader` (lines,
/// which `tokenize`, `segment` and the trainers read), on any bytes, line lengths and mix of LF,
/// CRLF and lone CR.
///
/// The first two input bytes choose the chunk size (1 to 64 bytes, so lines straddle chunk
/// boundaries), the line length limit and whether invalid UTF-8 is rejected or replaced; the rest
/// is the file. Properties: the chunks are whole lines (each but the last ends in a line feed) and
/// join to the file; the lines are the file split at each line feed, less one carriage return before
/// it and the empty line after a final line feed; in reject mode, invalid UTF-8 and NUL are reported
/// at their first offset and never pass; a too-long line is reported at its start and is too long.
enum LineReaderTarget: FuzzTarget {
    static let name = "line-reader"

    static func run(_ input: [UInt8]) {
        guard input.count >= 2 else { return }
        let chunkSize = Int(input[0] & 0x3F) + 1
        let lineLimit = input[1] & 0x80 == 0 ? 1 << 30 : Int(input[1] & 0x7F) + 1
        let handling: InvalidUTF8Handling = input[0] & 0x40 == 0 ? .reject : .replace
        let bytes = Array(input[2...])
        let path = FuzzScratch.write(bytes, to: "lines.txt")
        let invalid = TextTarget.referenceFirstInvalidOffset(bytes)
        let nul = bytes.firstIndex(of: 0)
        let text = handling == .reject ? bytes : Array(String(decoding: bytes, as: UTF8.self).utf8)

        var joined: [UInt8] = []
        do throws(TokenizerError) {
            let reader = try TextChunkReader(path: path, handling: handling, chunkSize: chunkSize, maximumLineLength: lineLimit)
            var previousEnded = true
            while let chunk = try reader.nextChunk() {
                FuzzFailure.require(previousEnded && !chunk.isEmpty, "a chunk follows one that did not end a line, or is empty")
                previousEnded = chunk.last == 0x0A
                joined += chunk
            }
            FuzzFailure.require(nul == nil && (handling == .replace || invalid == nil), "invalid UTF-8 or NUL passed the chunk reader")
            FuzzFailure.require(joined == text, "the chunks do not join to the file")
        } catch {
            checkError(error, bytes: bytes, handling: handling, invalid: invalid, nul: nul, lineLimit: lineLimit)
            FuzzFailure.require(text.starts(with: joined), "the chunks before the error are not the start of the file")
        }

        do throws(TokenizerError) {
            let reader = try TextLineReader(path: path, handling: handling)
            var lines: [String] = []
            while let line = try reader.nextLine() { lines.append(line) }
            FuzzFailure.require(nul == nil && (handling == .replace || invalid == nil), "invalid UTF-8 or NUL passed the line reader")
            let expected = referenceLines(text)
            FuzzFailure.require(lines == expected, "lines \(lines) are not \(expected)")
        } catch {
            checkError(error, bytes: bytes, handling: handling, invalid: invalid, nul: nul, lineLimit: 1 << 30)
        }
    }

    /// Checks that `error` is one the file deserves, at the offset where it happens.
    private static func checkError(_ error: TokenizerError, bytes: [UInt8], handling: InvalidUTF8Handling,
                                   invalid: Int?, nul: Int?, lineLimit: Int) {
        switch error {
        case .invalidUTF8(_, let offset):
            FuzzFailure.require(handling == .reject && offset == invalid, "invalid UTF-8 reported at \(offset), first at \(String(describing: invalid))")
        case .binaryFile(_, let offset):
            FuzzFailure.require(offset == nul, "NUL reported at \(offset), first at \(String(describing: nul))")
        case .lineTooLong(_, let offset, let limit):
            guard offset <= bytes.count else { return FuzzFailure.require(false, "line too long at \(offset), past the end") }
            let startsLine = offset == 0 || bytes[offset - 1] == 0x0A
            let end = bytes[offset...].firstIndex(of: 0x0A) ?? bytes.count
            FuzzFailure.require(limit == lineLimit && startsLine && end - offset > limit,
                                "line at \(offset) reported longer than \(limit), but it is \(end - offset) bytes or does not start a line")
        default:
            FuzzFailure.require(false, "unexpected error: \(error.localizedDescription)")
        }
    }

    /// The lines of `text` as the line reader documents them.
    static func referenceLines(_ text: [UInt8]) -> [String] {
        let pieces = text.split(separator: 0x0A, omittingEmptySubsequences: false)
        // The piece after the last line feed is unterminated: it keeps a final carriage return,
        // and when empty (a file ending in a line feed, or an empty file) it is no line at all.
        var lines = pieces.dropLast().map { line in String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self) }
        if let last = pieces.last, !last.isEmpty { lines.append(String(decoding: last, as: UTF8.self)) }
        return lines
    }
}
