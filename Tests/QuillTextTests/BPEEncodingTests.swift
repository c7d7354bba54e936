import Testing
@testable import QuillText

@Suite struct BPEEncodingTests {
    /// The flat scan and the heap pick the same pair at every step, on words long and short.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func heapAndScanMergeAlike(seed: UInt64) throws {
        let tokenizer = try loadBPETokenizer(from: BPEFixture.path("hf_trained.tokenizer.json"))
        var generator = BPESeededGenerator(seed: seed)
        var scan = BPEWordMerger()
        var heap = BPEWordMerger()
        heap.heapThreshold = 1
        for _ in 0..<200 {
            let word = Array(randomText(length: 60, using: &generator).utf8)
            for merger in [0, 1] {
                var m = merger == 0 ? scan : heap
                m.reset()
                for (i, byte) in word.enumerated() { m.append(tokenizer.byteIds[Int(byte)], start: Int32(i)) }
                m.merge(with: tokenizer.merges)
                if merger == 0 { scan = m } else { heap = m }
            }
            #expect(scan.ids == heap.ids)
            #expect(scan.starts == heap.starts)
        }
    }

    /// Cutting at the chosen boundaries and encoding the parts alone gives the ids of the whole.
    @Test(arguments: ["quill_trained.tokenizer.json", "hf_trained.tokenizer.json"])
    func chunkedEncodingMatchesWholeEncoding(_ file: String) throws {
        let corpus = Array(try BPEFixture.bytes("corpus.txt").prefix(20_000)) + Array("a  \n\n b\u{3000}\u{3000}c".utf8)
        let trained = try loadBPETokenizer(from: BPEFixture.path(file))
        let whole = trained.encode(bytes: corpus)
        let cuts = corpus.withUnsafeBufferPointer { ByteLevelBPE.chunkBoundaries($0, chunks: 31, minimumChunkBytes: 1000) }
        #expect(cuts.count > 15)
        for chunks in [2, 31] {
            let parallel = corpus.withUnsafeBufferPointer { trained.encode(bytes: $0, threads: chunks, minimumChunkBytes: 1000) }
            #expect(parallel == whole, "\(chunks) chunks")
        }
    }

    @Test func safeCutsFallOnLineStartsAfterNonSpace() {
        let text = Array(String(repeating: "word word\n  \n", count: 200).utf8)
        let cuts = text.withUnsafeBufferPointer { ByteLevelBPE.chunkBoundaries($0, chunks: 4, minimumChunkBytes: 100) }
        #expect(cuts.count == 5 && cuts.first == 0 && cuts.last == text.count)
        for cut in cuts.dropFirst().dropLast() {
            #expect(text[cut] == 0x0A && text[cut - 1] == UInt8(ascii: "d"))
        }
    }

    @Test func textWithoutWhiteSpaceIsNotCut() {
        let text = Array(String(repeating: "漢字", count: 1000).utf8)
        let cuts = text.withUnsafeBufferPointer { ByteLevelBPE.chunkBoundaries($0, chunks: 2, minimumChunkBytes: 100) }
        #expect(cuts == [0, text.count])
    }
}
