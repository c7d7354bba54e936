import Foundation
import QuillText
import Testing

@Suite struct TextChunkReaderTests {
    private func chunks(_ path: String, handling: InvalidUTF8Handling = .reject, chunkSize: Int = 1 << 20) throws -> [[UInt8]] {
        let reader = try TextChunkReader(path: path, handling: handling, chunkSize: chunkSize)
        var chunks: [[UInt8]] = []
        while let chunk = try reader.nextChunk() { chunks.append(chunk) }
        return chunks
    }

    @Test func chunksEndAtLineFeedsAndCoverTheFile() throws {
        let text = (0..<500).map { "line \($0) with some words\n" }.joined() + "last line without newline"
        let file = try TemporaryFile(text: text)
        let chunks = try chunks(file.path, chunkSize: 1000)
        #expect(chunks.count > 5)
        #expect(chunks.dropLast().allSatisfy { $0.last == 0x0A })
        #expect(chunks.flatMap { $0 } == Array(text.utf8))
    }

    @Test func emptyFileHasNoChunks() throws {
        let file = try TemporaryFile([])
        #expect(try chunks(file.path).isEmpty)
    }

    @Test func invalidUTF8NamesFileAndOffset() throws {
        let file = try TemporaryFile(Array(String(repeating: "ok\n", count: 700).utf8) + [0xE9] + Array(" more\n".utf8))
        #expect(throws: TokenizerError.invalidUTF8(path: file.path, byteOffset: 2100)) { try chunks(file.path, chunkSize: 512) }
    }

    @Test func invalidUTF8CanBeReplaced() throws {
        let file = try TemporaryFile(Array("caf".utf8) + [0xE9] + Array("\n".utf8))
        #expect(try chunks(file.path, handling: .replace) == [Array("caf\u{FFFD}\n".utf8)])
    }

    @Test func binaryFileIsRejected() throws {
        let file = try TemporaryFile([0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00])
        #expect(throws: TokenizerError.binaryFile(path: file.path, byteOffset: 7)) { try chunks(file.path, handling: .replace) }
    }

    @Test func missingFileAndDirectoryAreClearErrors() throws {
        let file = try TemporaryFile(text: "x")
        let missing = file.sibling("missing.txt")
        #expect(throws: TokenizerError.fileNotFound(path: missing)) { try TextChunkReader(path: missing) }
        #expect(throws: TokenizerError.unreadableFile(path: file.directory.path, reason: "it is a directory")) {
            try TextChunkReader(path: file.directory.path)
        }
        let message = TokenizerError.fileNotFound(path: missing).errorDescription ?? ""
        #expect(message.contains(missing) && message.contains("no such file"))
    }

    @Test func longLineIsReadWhole() throws {
        // 4 MiB on one line: read in 1 MiB pieces, handed out once, in one piece.
        let line = [UInt8](repeating: UInt8(ascii: "a"), count: 4 << 20)
        let file = try TemporaryFile(line + [0x0A] + Array("next\n".utf8))
        let chunks = try chunks(file.path)
        #expect(chunks.map(\.count) == [line.count + 6])
    }

    @Test func lineLongerThanTheLimitIsAnError() throws {
        let file = try TemporaryFile(Array("short\n".utf8) + [UInt8](repeating: 0x62, count: 5000))
        let reader = try TextChunkReader(path: file.path, chunkSize: 1024, maximumLineLength: 4096)
        #expect(throws: TokenizerError.lineTooLong(path: file.path, byteOffset: 6, limit: 4096)) {
            while try reader.nextChunk() != nil {}
        }
    }

    @Test func lineReaderDropsLFAndCRLF() throws {
        let file = try TemporaryFile(text: "one\r\ntwo\n\nthree\r")
        let reader = try TextLineReader(path: file.path)
        var lines: [String] = []
        while let line = try reader.nextLine() { lines.append(line) }
        #expect(lines == ["one", "two", "", "three\r"])
    }
}
