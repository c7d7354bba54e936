#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One instance of `Value` per thread, made on a thread's first use and released when the
/// thread ends. The tape and the strides cache keep their per-thread state here, so tests and
/// worker threads running side by side never share it.
final class ThreadLocal<Value: AnyObject> {
    private var key = pthread_key_t()
    private let make: () -> Value

    /// Creates the slot; `make` builds a thread's value on its first access.
    init(_ make: @escaping () -> Value) {
        self.make = make
        pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<AnyObject>.fromOpaque(pointer).release() }
        }
    }

    /// This thread's value.
    var value: Value {
        @inline(__always) get {
            if let pointer = pthread_getspecific(key) {
                return Unmanaged<Value>.fromOpaque(pointer).takeUnretainedValue()
            }
            let value = make()
            pthread_setspecific(key, Unmanaged.passRetained(value).toOpaque())
            return value
        }
    }
}
