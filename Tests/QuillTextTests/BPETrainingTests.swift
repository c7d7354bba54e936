import Testing
@testable import QuillText

/// The textbook BPE trainer: recount every pair of every word after each merge.
///
/// Slow and obviously right; the incremental trainer must learn exactly the same rules. Ties
/// go to the smaller (left id, right id), as documented for `BPETrainer`.
func naiveMerges(words: [[Int32]: Int], merges: Int, minFrequency: Int, firstId: Int32) -> [(Int32, Int32, Int32)] {
    var words = words.map { (symbols: $0.key, count: $0.value) }
    var rules: [(Int32, Int32, Int32)] = []
    while rules.count < merges {
        var counts: [UInt64: Int] = [:]
        for word in words where word.symbols.count > 1 {
            for i in 0..<(word.symbols.count - 1) {
                counts[BPEPairTable.key(word.symbols[i], word.symbols[i + 1]), default: 0] += word.count
            }
        }
        guard let best = counts.filter({ $0.value > 0 }).min(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }),
              best.value >= minFrequency else { break }
        let (left, right) = (Int32(best.key >> 32), Int32(truncatingIfNeeded: best.key))
        let result = firstId + Int32(rules.count)
        rules.append((left, right, result))
        for w in words.indices {
            var merged: [Int32] = []
            var i = 0
            let s = words[w].symbols
            while i < s.count {
                if i + 1 < s.count && s[i] == left && s[i + 1] == right {
                    merged.append(result)
                    i += 2
                } else {
                    merged.append(s[i])
                    i += 1
                }
            }
            words[w].symbols = merged
        }
    }
    return rules
}

@Suite struct BPETrainingTests {
    struct TieCase: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let first: (UInt8, UInt8)
        var testDescription: String { name }
    }

    @Test(arguments: [
        TieCase(name: "equal counts: smaller left id wins", text: "ab\nba\nab\nba\n", first: (0x61, 0x62)),
        TieCase(name: "equal counts and left: smaller right id wins", text: "ac\nab\nac\nab\n", first: (0x61, 0x62)),
        TieCase(name: "higher count wins regardless of ids", text: "ba\nba\nba\nab\nab\n", first: (0x62, 0x61)),
    ])
    func tiesBreakBySmallestIds(_ c: TieCase) throws {
        let tokenizer = try ByteLevelBPE.train(texts: [c.text], vocabularySize: 257, minFrequency: 1)
        #expect(tokenizer.merges.rules.first.map { [$0.left, $0.right] } == [Int32(c.first.0), Int32(c.first.1)])
    }

    /// The incremental trainer learns exactly what recounting from scratch learns, on random corpora
    /// full of overlapping runs ("aaaa", "abab") where the bookkeeping is easiest to get wrong.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func matchesTheNaiveTrainer(seed: UInt64) throws {
        var generator = BPESeededGenerator(seed: seed)
        var text = ""
        for _ in 0..<300 {
            let length = Int.random(in: 1...12, using: &generator)
            text += String((0..<length).map { _ in "aabbcé".randomElement(using: &generator)! }) + "\n"
        }
        var counter = BPEPreTokenCounter(rule: .quillDefault)
        text.withUTF8 { counter.addSerially($0) }
        var words: [[Int32]: Int] = [:]
        for index in 0..<counter.words.count {
            counter.words.withKey(index) { words[$0.map { Int32($0) }, default: 0] += counter.counts[index] }
        }
        var tokens: [[UInt8]] = (0...255).map { [UInt8($0)] }
        var trainer = BPETrainer(counter: counter, firstByteId: 0, minFrequency: 2)
        let fast = trainer.learn(maxMerges: 60, tokens: &tokens, reserved: [])
        let slow = naiveMerges(words: words, merges: 60, minFrequency: 2, firstId: 256)
        #expect(fast.map { [$0.0, $0.1, $0.2] } == slow.map { [$0.0, $0.1, $0.2] })
    }

    /// The distinct pre-tokens of a counter with their counts.
    static func table(_ counter: BPEPreTokenCounter) -> [[UInt8]: Int] {
        var table: [[UInt8]: Int] = [:]
        for index in 0..<counter.words.count { counter.words.withKey(index) { table[Array($0)] = counter.counts[index] } }
        return table
    }

    @Test func parallelCountingAndRetrainingGiveTheSameTokenizer() throws {
        let corpus = try BPEFixture.bytes("corpus.txt")
        var serial = BPEPreTokenCounter(rule: .quillDefault)
        var parallel = BPEPreTokenCounter(rule: .quillDefault)
        corpus.withUnsafeBufferPointer { bytes in
            serial.addSerially(bytes)
            parallel.add(bytes, threads: 2, minimumChunkBytes: 4096)
        }
        #expect(Self.table(serial) == Self.table(parallel))
        let a = try ByteLevelBPE.train(counter: serial, vocabularySize: 500, specialTokens: [], minFrequency: 2)
        let b = try ByteLevelBPE.train(counter: parallel, vocabularySize: 500, specialTokens: [], minFrequency: 2)
        #expect(try a.encoded() == b.encoded())
        #expect(a.vocabularySize == 500)
    }

    /// Reading a file in small blocks cut at safe points counts what reading it whole does.
    @Test(arguments: [ByteLevelPreSplit.gpt2, .quillDefault])
    func blockwiseFileCountsMatchWholeText(_ rule: ByteLevelPreSplit) throws {
        var whole = BPEPreTokenCounter(rule: rule)
        try BPEFixture.bytes("corpus.txt").withUnsafeBufferPointer { whole.addSerially($0) }
        var blocks = BPEPreTokenCounter(rule: rule)
        try blocks.addFile(BPEFixture.path("corpus.txt"), threads: 1, blockSize: 777)
        #expect(Self.table(whole) == Self.table(blocks))
    }

    @Test func stopsWhenPairsBecomeRare() throws {
        let tokenizer = try ByteLevelBPE.train(texts: ["abc abc xyz"], vocabularySize: 1000, minFrequency: 2)
        // Only "ab"/"bc" pairs occur twice: "a b" → "ab", then "ab c" → "abc".
        #expect(tokenizer.vocabularySize == 258)
        #expect(tokenizer.encode("abc") == [257])
    }

    /// One 120 KB line of Chinese without a space or punctuation stays small to train on.
    @Test func unsegmentedChineseDoesNotBlowUp() throws {
        var generator = BPESeededGenerator(seed: 3)
        let characters = Array("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经")
        let line = String((0..<40_000).map { _ in characters.randomElement(using: &generator)! })
        var counter = BPEPreTokenCounter(rule: .quillDefault)
        var text = line
        text.withUTF8 { counter.addSerially($0) }
        #expect(counter.words.count <= 40_000 / 32 + 1)
        #expect(counter.words.arenaSize <= 40_000 * 3)
        let tokenizer = try ByteLevelBPE.train(counter: counter, vocabularySize: 600, specialTokens: [], minFrequency: 2)
        #expect(tokenizer.vocabularySize == 600)
        let sample = String(line.prefix(200))
        #expect(tokenizer.decode(tokenizer.encode(sample)) == sample)
        #expect(tokenizer.encode(sample).count < 200)
    }
}
