import ArgumentParser
import Foundation
import QuillModels
import QuillTensor
import QuillTraining

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Generates text from a model, streaming it to stdout.",
        discussion: """
            A language model (char-rnn, gpt, lm) continues --prompt; a sentence VAE draws \
            sentences from its prior. Samples are separated by a blank line (language models) \
            or printed one per line (VAEs).
            """)

    @Argument(help: "The model file (.safetensors) written by `quill train`.")
    var model: String

    @Option(help: "Text the model continues (language models only).")
    var prompt: String = ""

    @Option(help: "How many samples to generate.")
    var count: Int = 1

    @OptionGroup var sampling: SamplingOptionGroup

    @Option(help: "Threads for kernels and BLAS (default: all cores).")
    var threads: Int?

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive, got \(count).") }
    }

    func run() throws {
        try runReportingErrors {
            if let threads { Threads.count = threads }
            let loaded = try loadModel(at: model)
            var generator = RandomGenerator(seed: sampling.effectiveSeed)
            let options = sampling.options
            if let vae = loaded.sentenceAutoencoder {
                if !prompt.isEmpty { throw ValidationError("--prompt applies to language models; \(model) is a \(loaded.kind.rawValue). Use `quill reconstruct` instead.") }
                for sentence in try vae.sampleSentences(count: count, options: options, generator: &generator) {
                    print(sentence)
                }
                return
            }
            guard let lm = loaded.textGenerator else {
                throw ModelFileError.wrongKind(model, found: loaded.kind, expected: [.charRNN, .gpt, .lm, .vae, .hvae], purpose: "sample")
            }
            warnAboutUnknownWords(in: [prompt], of: loaded)
            Interrupt.install()
            for index in 0..<count {
                try StandardOutput.write((index > 0 ? "\n\n" : "") + prompt)
                var writeError: Error?
                try lm.generate(prompt: prompt, options: options, generator: &generator) { text in
                    do { try StandardOutput.write(text) } catch { writeError = error }
                    return writeError == nil && !Interrupt.isRequested
                }
                if let writeError { throw writeError }
                if Interrupt.isRequested { break }
            }
            try StandardOutput.write("\n")
        }
    }
}
