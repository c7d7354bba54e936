import ArgumentParser

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Trains a model on a text corpus.",
        discussion: """
            Writes the best checkpoint (by validation loss) to --output, the most recent one beside \
            it as NAME.last.safetensors, and a JSONL metrics log as NAME.metrics.jsonl.
            """,
        subcommands: [TrainCharRNNCommand.self, TrainGPTCommand.self, TrainVAECommand.self,
                      TrainHVAECommand.self, TrainLMCommand.self])
}
