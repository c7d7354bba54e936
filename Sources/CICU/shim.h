#ifndef QUILL_CICU_SHIM_H
#define QUILL_CICU_SHIM_H
#include <unicode/utypes.h>
#include <unicode/ubrk.h>
#include <unicode/utext.h>

// ICU renames every function with its version (ubrk_open -> ubrk_open_72) through header macros,
// which Swift cannot see. These static inline shims call the macro names, so Swift code links
// against whichever ICU the headers belong to. Only what QuillUnicode uses is wrapped.

/// Opens a break iterator of `type` for `locale` with no text set yet.
static inline UBreakIterator *quill_ubrk_open(UBreakIteratorType type, const char *locale, UErrorCode *status) {
    return ubrk_open(type, locale, NULL, 0, status);
}

/// Makes an independent copy of `iterator` (cheaper than opening a new one).
static inline UBreakIterator *quill_ubrk_clone(const UBreakIterator *iterator, UErrorCode *status) {
    return ubrk_clone(iterator, status);
}

/// Closes a break iterator.
static inline void quill_ubrk_close(UBreakIterator *iterator) { ubrk_close(iterator); }

/// Points `iterator` at UTF-8 text; boundaries are then UTF-8 byte offsets.
static inline void quill_ubrk_setUText(UBreakIterator *iterator, UText *text, UErrorCode *status) {
    ubrk_setUText(iterator, text, status);
}

/// Moves to the first boundary (offset 0).
static inline int32_t quill_ubrk_first(UBreakIterator *iterator) { return ubrk_first(iterator); }

/// Moves to the next boundary, or returns UBRK_DONE (-1) at the end.
static inline int32_t quill_ubrk_next(UBreakIterator *iterator) { return ubrk_next(iterator); }

/// The rule status of the segment ending at the current boundary (for words: none, number, letter, kana, ideo).
static inline int32_t quill_ubrk_getRuleStatus(UBreakIterator *iterator) { return ubrk_getRuleStatus(iterator); }

/// Opens (or re-opens, when `text` is not NULL) a UText over `length` bytes of UTF-8 without copying them.
static inline UText *quill_utext_openUTF8(UText *text, const char *bytes, int64_t length, UErrorCode *status) {
    return utext_openUTF8(text, bytes, length, status);
}

/// Closes a UText.
static inline void quill_utext_close(UText *text) { utext_close(text); }

/// The symbolic name of an ICU error code, such as "U_MEMORY_ALLOCATION_ERROR".
static inline const char *quill_u_errorName(UErrorCode code) { return u_errorName(code); }

/// The ICU version this module was compiled against, such as "72.1".
static inline const char *quill_icu_version(void) { return U_ICU_VERSION; }

#endif
