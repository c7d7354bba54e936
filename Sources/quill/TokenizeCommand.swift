import ArgumentParser
import Foundation
import QuillText
import QuillTraining

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Turns each input line into one line of tokens or ids, or ids back into text.",
        discussion: """
            Tokens are printed separated by spaces; inside a token a space shows as ▁ and a tab, \
            carriage return or line feed as \\t, \\r, \\n. With --ids the line holds token ids; \
            --decode reads such lines back into text. VOCAB is any file written by `quill vocab build`.
            """)

    @Option(help: "The vocabulary or tokenizer file, or a model whose vocabulary to use.")
    var vocab: String

    @Flag(help: "Print token ids instead of tokens.")
    var ids = false

    @Flag(help: "Read lines of token ids and print their text.")
    var decode = false

    @Flag(name: .customLong("keep-specials"), help: "When decoding, print <pad>, <bos> and <eos> too.")
    var keepSpecials = false

    @Flag(name: .customLong("replace-invalid-utf8"), help: "Read bytes that are not UTF-8 as U+FFFD instead of stopping.")
    var replaceInvalidUTF8 = false

    @Argument(help: "The input file, or - for standard input.")
    var file = "-"

    func validate() throws {
        if ids && decode { throw ValidationError("--ids and --decode go in opposite directions; pass one.") }
        if keepSpecials && !decode { throw ValidationError("--keep-specials applies only with --decode.") }
    }

    func run() throws {
        try runReportingErrors {
            let tokenizer = try loadTokenizer(at: vocab)
            let reader = try TextLineReader(path: file, handling: replaceInvalidUTF8 ? .replace : .reject)
            var output = StandardOutput(flushesEachLine: reader.isStreaming)
            var lineNumber = 0
            while let line = try reader.nextLine() {
                lineNumber += 1
                if decode {
                    let parsed = try Self.ids(in: line, lineNumber: lineNumber, file: reader.displayName, vocabularySize: tokenizer.vocabularySize)
                    output.write(tokenizer.decode(parsed, keepingSpecials: keepSpecials))
                } else {
                    for (index, id) in tokenizer.encode(line).enumerated() {
                        if index > 0 { output.write(" ") }
                        output.write(ids ? String(id) : Self.display(tokenizer.token(for: id) ?? ""))
                    }
                }
                try output.endLine()
            }
            try output.flush()
        }
    }

    /// The ids on one input line of `--decode`.
    static func ids(in line: String, lineNumber: Int, file: String, vocabularySize: Int) throws -> [Int] {
        try line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { field in
            guard let id = Int(field), (0..<vocabularySize).contains(id) else {
                throw TokenizeInputError(file: file, line: lineNumber, field: String(field), vocabularySize: vocabularySize)
            }
            return id
        }
    }

    /// A token as printed: spaces as ▁ and line-structure characters escaped, so tokens stay on one line.
    static func display(_ token: String) -> String {
        var shown = ""
        for character in token.unicodeScalars {
            switch character {
            case " ": shown += "▁"
            case "\t": shown += "\\t"
            case "\r": shown += "\\r"
            case "\n": shown += "\\n"
            default: shown.unicodeScalars.append(character)
            }
        }
        return shown
    }
}

/// A `--decode` input field that is not a token id of the vocabulary.
struct TokenizeInputError: LocalizedError, ClassifiedError {
    var file: String
    var line: Int
    var field: String
    var vocabularySize: Int

    var errorDescription: String? {
        "\(file):\(line): \"\(field)\" is not a token id of this vocabulary (0..<\(vocabularySize)). "
            + "Pass lines of ids written by `quill tokenize --ids` with the same vocabulary."
    }

    var exitCode: ExitCode { Exit.dataError }
}

extension TokenizerError: ClassifiedError {
    var exitCode: ExitCode {
        switch self {
        case .fileNotFound, .unreadableFile: Exit.noInput
        case .unwritableFile: Exit.failure
        case .invalidSize, .invalidMinimumCount: Exit.usage
        case .segmentation: Exit.failure
        case .invalidUTF8, .binaryFile, .lineTooLong, .emptyCorpus, .malformedFile, .unsupportedTokenizer, .incompatibleVocabulary:
            Exit.dataError
        }
    }
}
