import ArgumentParser

@main
struct Quill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quill",
        abstract: "Train, sample and explore small text-generation models.")
}
