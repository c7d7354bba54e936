import ArgumentParser
import QuillTensor
import QuillTraining

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Writes a model for sharing, without what only training reads.",
        discussion: """
            --format quill writes a Quill model file that every quill command reads: the weights, \
            configuration, tokenizer and training history, without the optimizer's state (two \
            thirds of a checkpoint trained with Adam), so it cannot be resumed. --precision float16 \
            halves it again; Quill computes in float32 after reading it. --format huggingface, a \
            transformers GPT-2 directory, is not built yet.
            """)

    /// What `export` writes.
    enum Format: String, CaseIterable, ExpressibleByArgument {
        case quill, huggingface
    }

    @Argument(help: "The model file (.safetensors) written by `quill train`.")
    var model: String

    @Option(help: "What to write: quill (a model file) or huggingface (not built yet).")
    var format: Format = .quill

    @Option(help: "The element type of the weights written: float32 or float16.")
    var precision: SafeTensors.Precision = .float32

    @Option(help: "Where to write the model (a .safetensors file).")
    var output: String

    func validate() throws {
        guard format == .quill else {
            throw ValidationError("--format huggingface is not built yet (issue 25); use --format quill.")
        }
        try checkOutput(output, inputs: [("model", model)])
    }

    func run() throws {
        try runReportingErrors {
            var file = try ModelFile.read(model)
            file.optimizerState = [:]
            try file.write(to: output, precision: precision)
        }
    }
}

extension SafeTensors.Precision: ExpressibleByArgument {}
