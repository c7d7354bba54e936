import ArgumentParser
import Foundation
import QuillTraining

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Prints a model's kind, configuration, vocabulary and training history.")

    @Argument(help: "The model file (.safetensors) written by `quill train`.")
    var model: String

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        try runReportingErrors {
            let file = try ModelFile.read(model)
            let parameters = file.parameterCount
            let tokenizer = (try? JSONSerialization.jsonObject(with: Data(file.tokenizer.utf8))) as? [String: Any]
            let progress = file.trainingProgress
            if json {
                var object: [String: Any] = [
                    "kind": file.kind.rawValue,
                    "parameters": parameters,
                    "configuration": (try? JSONSerialization.jsonObject(with: Data(file.configuration.utf8))) ?? file.configuration,
                    "tokenizer": tokenizerSummary(tokenizer),
                ]
                if let progress {
                    object["training"] = [
                        "step": progress.step, "elapsed_s": progress.elapsedSeconds, "tokens_seen": progress.tokensSeen,
                        "best_val_loss": progress.bestValidationLoss as Any, "best_step": progress.bestStep as Any,
                        "command": progress.command.map { ["quill"] + $0 } as Any,
                    ]
                }
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            print("kind           \(file.kind.rawValue)")
            print("parameters     \(parameters)")
            print("configuration  \(file.configuration)")
            for (key, value) in tokenizerSummary(tokenizer).sorted(by: { $0.key < $1.key }) {
                let text = (value as? [String: Any]).map { fields in
                    fields.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                } ?? "\(value)"
                print("tokenizer      \(key): \(text)")
            }
            if let progress {
                if let command = progress.command { print("command        \(shellCommand(command))") }
                print("training       \(progress.step) steps, \(formatDuration(progress.elapsedSeconds)), \(progress.tokensSeen) tokens")
                if let best = progress.bestValidationLoss {
                    print("best val loss  \(format(best, 4)) at step \(progress.bestStep ?? 0)")
                }
            } else {
                print("training       none recorded")
            }
            let metrics = MetricsLog.url(forModelAt: model)
            if FileManager.default.fileExists(atPath: metrics.path) { print("metrics        \(metrics.path)") }
        }
    }

    /// The tokenizer's kind, normalization (a JSON object) and size (a number), as its file has them.
    private func tokenizerSummary(_ tokenizer: [String: Any]?) -> [String: Any] {
        guard let tokenizer else { return [:] }
        var summary: [String: Any] = [:]
        for key in ["kind", "tokenizer", "normalization", "size"] {
            if let value = tokenizer[key] { summary[key] = value }
        }
        if let tokens = tokenizer["tokens"] as? [Any] { summary["size"] = tokens.count }
        if let model = tokenizer["model"] as? [String: Any], let vocab = model["vocab"] as? [String: Any] {
            summary["kind"] = "bpe"
            summary["size"] = vocab.count
        }
        return summary
    }
}

/// `quill` and `arguments` as one line a POSIX shell runs as the same command.
func shellCommand(_ arguments: [String]) -> String {
    (["quill"] + arguments.map(shellWord)).joined(separator: " ")
}

/// `argument` as one shell word: as it is when it has only letters, digits and `-_./=:,+@%`,
/// else single-quoted.
func shellWord(_ argument: String) -> String {
    let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
    return !argument.isEmpty && argument.allSatisfy(plain.contains) ? argument
        : "'" + argument.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
}
