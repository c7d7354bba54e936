import Foundation
import QuillModels
import QuillTensor
import QuillTraining

/// The REPL's state and what each command does, apart from how lines are read.
///
/// The `quill repl` command reads lines (through libedit on a terminal, plainly from a pipe)
/// and hands each to ``handle(_:)``; output goes to `write` as it is produced, so generated
/// text streams token by token.
public final class REPLSession {
    /// The loaded models; the current one answers text and commands.
    public private(set) var models: [LoadedModel] = []
    /// The index of the current model in `models`.
    public private(set) var current = 0
    /// Generation settings changed with `:set`.
    public private(set) var options: SamplingOptions
    /// Whether the decoding was chosen (`--decode`, `:set decode`); until it is, a VAE's
    /// reconstructions and interpolations use beam search, as `quill reconstruct` does.
    private var decodingIsChosen: Bool
    private var generator: RandomGenerator
    private let write: (String) -> Void
    private let shouldStop: () -> Bool

    /// Creates a session that writes to `write` and stops a generation when `shouldStop` says so
    /// (Ctrl-C). With `decodingIsChosen`, `options.decoding` applies to reconstructions too.
    public init(options: SamplingOptions = SamplingOptions(), decodingIsChosen: Bool = false, seed: UInt64,
                write: @escaping (String) -> Void, shouldStop: @escaping () -> Bool = { false }) {
        self.options = options
        self.decodingIsChosen = decodingIsChosen
        self.generator = RandomGenerator(seed: seed)
        self.write = write
        self.shouldStop = shouldStop
    }

    /// The options of a VAE's reconstructions and interpolations: beam search unless a decoding was chosen.
    private var reconstructionOptions: SamplingOptions {
        var reconstruction = options
        if !decodingIsChosen { reconstruction.decoding = .beam }
        return reconstruction
    }

    /// Loads a model file and makes it current.
    public func load(_ path: String) throws {
        models.append(try loadModel(at: path))
        current = models.count - 1
    }

    /// Whether the session goes on after a command.
    public enum Outcome { case proceed, quit }

    /// Parses and runs one line. Errors are printed, never thrown: the REPL keeps running.
    @discardableResult
    public func handle(_ line: String) -> Outcome {
        do {
            let command = try REPLCommand(parsing: line)
            return try run(command)
        } catch {
            let message = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
            write("error: \(message)\n")
            return .proceed
        }
    }

    private func run(_ command: REPLCommand) throws -> Outcome {
        switch command {
        case .empty:
            break
        case .quit:
            return .quit
        case .help:
            write(Self.helpText)
        case .text(let text):
            let model = try currentModel()
            warnAboutUnknownWords(in: [text], of: model)
            if let lm = model.textGenerator {
                try stream(lm, prompt: text)
            } else if let vae = model.sentenceAutoencoder {
                write(try vae.reconstruct(text, options: reconstructionOptions, generator: &generator) + "\n")
            }
        case .sample(let count):
            let model = try currentModel()
            if let vae = model.sentenceAutoencoder {
                for sentence in try vae.sampleSentences(count: count, options: options, generator: &generator) {
                    write(sentence + "\n")
                }
            } else if let lm = model.textGenerator {
                for _ in 0..<count where !shouldStop() { try stream(lm, prompt: "") }
            }
        case .reconstruct(let text):
            guard let vae = try currentModel().sentenceAutoencoder else {
                throw REPLError.unsupported(":recon needs a sentence VAE; the current model is a \(try currentModel().kind.rawValue). Type text to continue it instead.")
            }
            warnAboutUnknownWords(in: [text], of: try currentModel())
            write(try vae.reconstruct(text, options: reconstructionOptions, generator: &generator) + "\n")
        case .interpolate(let first, let second, let steps):
            guard let vae = try currentModel().sentenceAutoencoder else {
                throw REPLError.unsupported(":interp needs a sentence VAE; the current model is a \(try currentModel().kind.rawValue).")
            }
            warnAboutUnknownWords(in: [first, second], of: try currentModel())
            let points = try vae.interpolate(from: first, to: second, steps: steps, spherical: false,
                                             options: reconstructionOptions, generator: &generator)
            for point in points {
                write(formatPosition(point.position) + "  " + point.sentence + "\n")
            }
        case .set(let setting):
            if case .decode("beam") = setting, let model = models.indices.contains(current) ? models[current] : nil,
               [.charRNN, .gpt].contains(model.kind) {
                throw REPLError.unsupported("the current model (\(model.kind.rawValue)) has no beam search; "
                                            + "beam is for vae, hvae and lm models. Use :set decode greedy or sample.")
            }
            apply(setting)
            write("ok\n")
        case .seed(let seed):
            generator = RandomGenerator(seed: seed)
            write("ok\n")
        case .load(let path):
            try load(path)
            write("loaded \(path) (\(models[current].kind.rawValue)) as model \(current + 1)\n")
        case .models:
            for (index, model) in models.enumerated() {
                write("\(index == current ? "*" : " ") \(index + 1) \(model.kind.rawValue)  \(model.path)\n")
            }
        case .use(let number):
            guard number <= models.count else {
                throw REPLError.usage(":use N", "there are \(models.count) models; see :models")
            }
            current = number - 1
            write("using model \(number) (\(models[current].kind.rawValue))\n")
        case .info:
            let model = try currentModel()
            write("\(model.kind.rawValue)  \(model.path)\nconfiguration: \(model.file.configuration)\n")
            let decoding = options.decoding.rawValue + (decodingIsChosen ? "" : " (beam for VAE reconstructions)")
            write("temperature \(options.temperature), top-k \(options.topK), top-p \(options.topP), max-tokens \(options.maxTokens), decode \(decoding)\n")
        }
        return .proceed
    }

    private func currentModel() throws -> LoadedModel {
        guard current < models.count else {
            throw REPLError.unsupported("no model is loaded; use :load MODEL")
        }
        return models[current]
    }

    /// Writes a `warning:` line for each of `texts` with words outside `model`'s vocabulary.
    private func warnAboutUnknownWords(in texts: [String], of model: LoadedModel) {
        for warning in texts.compactMap(model.unknownWordsWarning(for:)) { write("warning: \(warning)\n") }
    }

    private func stream(_ lm: any TextGenerator, prompt: String) throws {
        write(prompt)
        try lm.generate(prompt: prompt, options: options, generator: &generator) { piece in
            write(piece)
            return !shouldStop()
        }
        write("\n")
    }

    private func apply(_ setting: REPLSetting) {
        switch setting {
        case .temperature(let t): options.temperature = t
        case .topK(let k): options.topK = k
        case .topP(let p): options.topP = p
        case .maxTokens(let n): options.maxTokens = n
        case .decode(let mode):
            options.decoding = SamplingOptions.Decoding(rawValue: mode) ?? .sample
            decodingIsChosen = true
        }
    }

    private func formatPosition(_ position: Double) -> String {
        let hundredths = Int((position * 100).rounded())
        let text = "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
        return text
    }

    /// The text `:help` prints.
    public static let helpText = """
        Type text to continue it (language models) or reconstruct it (sentence VAEs).
        Commands:
          :sample [n]              generate n samples
          :recon TEXT              encode and decode a sentence (VAEs; beam search unless :set decode)
          :interp A | B [steps]    interpolate between two sentences (VAEs; A and B may be quoted)
          :set temperature T       also top-k K, top-p P, max-tokens N, decode greedy|sample|beam
          :seed N                  restart the random generator from N
          :load MODEL              load another model and make it current
          :models                  list the loaded models
          :use N                   switch to model N
          :info                    show the current model and settings
          :help                    this text
          :quit                    leave (also Ctrl-D)
        Ctrl-C stops a generation; Ctrl-C twice at an empty prompt leaves.

        """
}
