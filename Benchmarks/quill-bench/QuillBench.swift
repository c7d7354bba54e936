@main struct QuillBench { static func main() {} }
