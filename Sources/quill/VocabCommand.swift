import ArgumentParser
import Foundation
import QuillText

struct VocabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vocab",
        abstract: "Builds vocabularies from text corpora.",
        subcommands: [VocabBuildCommand.self])
}

struct VocabBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Counts the tokens of one or more corpora and writes a vocabulary file.",
        discussion: """
            char: one token per grapheme cluster. word: ICU words and punctuation, with a single \
            space glued to the word after it, so decoding gives the text back. whitespace: pieces \
            between spaces, for pre-tokenized corpora such as PTB (<unk> and N are ordinary tokens). \
            bpe: a byte-level BPE tokenizer trained to --size ids, written as a Hugging Face \
            tokenizer.json. Ids 0-3 are always <pad>, <unk>, <bos>, <eos>; the rest follow by \
            frequency. The file is JSON and records the tokenizer and normalization settings.
            """)

    @Option(help: "The kind of tokenizer.")
    var tokenizer: TokenizerKind

    @Option(help: "The most ids to keep, the four special tokens included (required for bpe).")
    var size: Int?

    @Option(name: .customLong("min-count"), help: "The fewest occurrences a token needs to be kept (bpe: a pair to be merged).")
    var minCount: Int?

    @Option(help: "The Unicode normalization (default nfc; bpe: none).")
    var normalize: NormalizeChoice?

    @Flag(help: "Lowercase the text before counting.")
    var lowercase = false

    @Option(help: "What to do with whitespace (default collapse for whitespace, keep otherwise).")
    var whitespace: WhitespaceCleanup?

    @Flag(name: .customLong("replace-invalid-utf8"), help: "Read bytes that are not UTF-8 as U+FFFD instead of stopping.")
    var replaceInvalidUTF8 = false

    @Option(help: "The vocabulary file to write.")
    var output: String

    @Argument(help: "The corpus files (UTF-8 text).")
    var corpus: [String]

    func validate() throws {
        guard !corpus.isEmpty else { throw ValidationError("Pass at least one corpus file.") }
        try checkOutput(output, inputs: corpus.map { (flag: "corpus", path: $0) })
        if let minCount, minCount < 1 { throw ValidationError("--min-count must be at least 1.") }
        if tokenizer == .bpe {
            guard size != nil else { throw ValidationError("--tokenizer bpe needs --size, the number of ids to train.") }
            guard [nil, NormalizeChoice.none].contains(normalize), !lowercase, whitespace == nil else {
                throw ValidationError("bpe is byte-level and lossless: --normalize, --lowercase and --whitespace do not apply.")
            }
        } else if let size, size <= Vocabulary.specialTokens.count {
            throw ValidationError("--size \(size) leaves no room beside the 4 special tokens; pass 5 or more.")
        }
    }

    /// The settings the vocabulary records.
    var settings: TokenizerSettings {
        var normalization = TokenizerSettings.defaults(for: tokenizer).normalization
        switch normalize ?? .nfc {
        case .none: normalization.form = .none
        case .nfc: normalization.form = .nfc
        case .nfkc: normalization.form = .nfkc
        case .nfkcCasefold:
            normalization.form = .nfkc
            normalization.caseMapping = .fold
        }
        if lowercase && normalization.caseMapping == .none { normalization.caseMapping = .lowercase }
        if let whitespace { normalization.whitespace = whitespace }
        return TokenizerSettings(kind: tokenizer, normalization: normalization)
    }

    func run() throws {
        try runReportingErrors {
            if tokenizer == .bpe {
                try buildBPE()
                return
            }
            var builder = try VocabularyBuilder(settings: settings)
            for path in corpus {
                try builder.addFile(
                    atPath: path, handling: replaceInvalidUTF8 ? .replace : .reject, progress: ProgressLine(path: path).update)
            }
            let vocabulary = try builder.build(minimumCount: minCount ?? 1, maximumSize: size)
            try vocabulary.save(to: output)
            print("vocabulary  \(vocabulary.count) ids (\(vocabulary.count - 4) tokens + 4 specials) in \(output)")
            print("settings    \(vocabulary.kind.rawValue); \(vocabulary.settings.normalization)")
            if let statistics = vocabulary.statistics {
                let share = String(format: "%.2f%%", statistics.unknownShare * 100)
                print("corpus      \(statistics.corpusTokens) tokens, \(statistics.corpusTypes) types; \(statistics.unknownTokens) map to <unk> (\(share))")
            }
        }
    }

    private func buildBPE() throws {
        let bpe = try ByteLevelBPE.train(
            files: corpus, vocabularySize: size!, specialTokens: Vocabulary.specialTokens, minFrequency: minCount ?? 2)
        try bpe.save(huggingFaceJSONTo: output)
        print("tokenizer   \(bpe.vocabularySize) ids (\(bpe.mergeCount) merges, 256 bytes, 4 specials) in \(output)")
    }
}

/// The `--normalize` choices of the CLI, each a preset of `Normalization`.
enum NormalizeChoice: String, ExpressibleByArgument, CaseIterable {
    case none, nfc, nfkc
    case nfkcCasefold = "nfkc-casefold"
}

extension TokenizerKind: ExpressibleByArgument {}
extension WhitespaceCleanup: ExpressibleByArgument {}

/// Reports reading progress on stderr for corpora large enough to take a while: a line every 10%.
final class ProgressLine {
    private let path: String
    private var reportedTenths = 0
    private static let minimumSize = 16 << 20

    init(path: String) { self.path = path }

    func update(bytesRead: Int, fileSize: Int?) {
        guard let fileSize, fileSize >= Self.minimumSize else { return }
        let tenths = bytesRead * 10 / fileSize
        guard tenths > reportedTenths else { return }
        reportedTenths = tenths
        let mebibytes = { (bytes: Int) in String(format: "%.1f", Double(bytes) / 1_048_576) }
        FileHandle.standardError.write(Data(
            "quill: counting \(path): \(tenths * 10)% (\(mebibytes(bytesRead)) of \(mebibytes(fileSize)) MiB)\n".utf8))
    }
}
