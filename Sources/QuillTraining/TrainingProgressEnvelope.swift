import Foundation

/// The part of every model's training JSON that all kinds share: `{"progress": {...}, ...}`.
///
/// Each training task stores its own state beside `progress` (random generator, data position,
/// options); `quill info` and `quill report` read only this part.
public struct TrainingProgressEnvelope: Codable {
    /// Steps, time, tokens and the best validation loss so far.
    public var progress: TrainingProgress

    /// Wraps `progress`.
    public init(progress: TrainingProgress) { self.progress = progress }
}

extension ModelFile {
    /// Where the training recorded in this file stood when it was saved; nil when the file
    /// records none (a model imported from elsewhere) or its record cannot be read.
    public var trainingProgress: TrainingProgress? {
        training.flatMap { try? JSONDecoder().decode(TrainingProgressEnvelope.self, from: Data($0.utf8)).progress }
    }
}
