import QuillTensor
import QuillTraining

/// The safetensors reader and the model-file checks behind `quill info`, `sample` and `eval`.
///
/// Property: any file either reads, or throws an error that names the file; a file that reads
/// writes back and reads again to the same tensors (bit for bit) and metadata; and loading it as a
/// model (`loadModel(at:)`: kind, configuration sizes, tokenizer, weight shapes) builds the model
/// or throws an error naming the file, never traps or exhausts memory.
enum SafeTensorsTarget: FuzzTarget {
    static let name = "safetensors"

    static func run(_ bytes: [UInt8]) {
        let path = FuzzScratch.write(bytes, to: "input.safetensors")
        let tensors: [String: Tensor], metadata: [String: String]
        do {
            (tensors, metadata) = try SafeTensors.read(path)
        } catch {
            FuzzFailure.require(error is CheckpointError, "SafeTensors.read threw \(type(of: error)), not a CheckpointError")
            FuzzFailure.requireClearError(error, naming: path)
            return
        }
        checkRoundTrip(tensors, metadata)
        do {
            _ = try loadModel(at: path)
        } catch {
            FuzzFailure.requireClearError(error, naming: path)
        }
    }

    /// Writes `tensors` and `metadata` and reads them back.
    private static func checkRoundTrip(_ tensors: [String: Tensor], _ metadata: [String: String]) {
        let copy = "\(FuzzScratch.directory)/copy.safetensors"
        do {
            try SafeTensors.write(tensors, metadata: metadata, to: copy)
            let (again, againMetadata) = try SafeTensors.read(copy)
            FuzzFailure.require(againMetadata == metadata, "metadata changed in a write and read: \(metadata) → \(againMetadata)")
            FuzzFailure.require(Set(again.keys) == Set(tensors.keys), "tensor names changed: \(tensors.keys.sorted()) → \(again.keys.sorted())")
            for (name, tensor) in tensors {
                let other = again[name]!
                FuzzFailure.require(other.shape == tensor.shape, "\(name): shape \(tensor.shape) came back as \(other.shape)")
                let same = (0..<tensor.count).allSatisfy { tensor.data[$0].bitPattern == other.data[$0].bitPattern }
                FuzzFailure.require(same, "\(name): values changed in a write and read")
            }
        } catch {
            FuzzFailure.require(false, "tensors that read could not be written and read back: \(FuzzFailure.describe(error))")
        }
    }
}
