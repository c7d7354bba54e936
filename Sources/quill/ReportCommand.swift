import ArgumentParser
import Foundation
import QuillModels
import QuillTensor
import QuillTraining

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Writes a self-contained HTML training report with plots, final figures and samples.",
        discussion: "The curves come from the NAME.metrics.jsonl log that training writes beside the model; without it the report has the figures and samples alone.")

    @Argument(help: "The model file (.safetensors) written by `quill train`.")
    var model: String

    @Option(help: "Where to write the HTML file (default: beside the model, as NAME.report.html).")
    var output: String?

    @Option(help: "How many samples to include.")
    var samples: Int = 5

    @Option(help: "The seed for the samples.")
    var seed: UInt64 = 1

    func validate() throws {
        if samples < 0 { throw ValidationError("--samples must be 0 or more, got \(samples).") }
        if let output {
            try checkOutput(output, inputs: [(flag: "model", path: model),
                                             (flag: "metrics log", path: MetricsLog.url(forModelAt: model).path)])
        }
    }

    func run() throws {
        try runReportingErrors {
            let loaded = try loadModel(at: model)
            let metricsURL = MetricsLog.url(forModelAt: model)
            // A model shared without its log still gets a report: its figures and samples.
            var records: [[String: Double]] = []
            if FileManager.default.fileExists(atPath: metricsURL.path) {
                records = try MetricsLog.read(metricsURL)
            } else {
                FileHandle.standardError.write(Data("quill: warning: no metrics log at \(metricsURL.path), so the report has no curves.\n".utf8))
            }
            var figures: [(String, String)] = [("model", model), ("kind", loaded.kind.rawValue)]
            if let progress = loaded.file.trainingProgress {
                if let command = progress.command { figures.append(("command", shellCommand(command))) }
                figures.append(("steps", "\(progress.step)"))
                figures.append(("training time", formatDuration(progress.elapsedSeconds)))
                figures.append(("tokens seen", "\(progress.tokensSeen)"))
                if let best = progress.bestValidationLoss {
                    figures.append(("best validation loss", "\(format(best, 4)) at step \(progress.bestStep ?? 0)"))
                }
            }
            if let last = records.last(where: { $0["val_loss"] != nil }) {
                for key in last.keys.sorted() where key != "step" && key != "elapsed_s" {
                    figures.append(("last evaluation: \(key)", formatFigure(last[key]!)))
                }
            }
            figures.append(("configuration", loaded.file.configuration))
            var texts: [String] = []
            var generator = RandomGenerator(seed: seed)
            var options = SamplingOptions()
            options.temperature = 0.8
            options.maxTokens = 200
            if let vae = loaded.sentenceAutoencoder {
                texts = try vae.sampleSentences(count: samples, options: options, generator: &generator)
            } else if let lm = loaded.textGenerator {
                for _ in 0..<samples {
                    var text = ""
                    try lm.generate(prompt: "", options: options, generator: &generator) { text += $0; return true }
                    texts.append(text)
                }
            }
            let report = TrainingReport(title: "Quill training report: \((model as NSString).lastPathComponent)",
                                        records: records, figures: figures, samples: texts)
            let destination = output ?? {
                var stem = model
                if stem.hasSuffix(".safetensors") { stem.removeLast(".safetensors".count) }
                return stem + ".report.html"
            }()
            do {
                try report.html().write(toFile: destination, atomically: true, encoding: .utf8)
            } catch {
                throw TrainingError.cannotWrite(destination)
            }
            print(destination)
        }
    }
}
