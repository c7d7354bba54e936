// QuillText's API speaks in QuillUnicode's types (Normalization, Segmenter), so importing QuillText is enough.
@_exported import QuillUnicode
