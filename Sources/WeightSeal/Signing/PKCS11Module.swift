import CPKCS11
import Foundation
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc's stat is attributed to CoreFoundation's module
import Glibc
#endif

/// A PKCS #11 module loaded at run time (dlopen) and initialised once per process, shared by the keys that use it.
///
/// A module is initialised once per process (PKCS #11 v2.40 §5.4: a second `C_Initialize` fails with
/// `CKR_CRYPTOKI_ALREADY_INITIALIZED`), so modules are kept in a registry by real path with a count of users; the last
/// ``release()`` calls `C_Finalize` (which ends every session and login) and unloads the library.
final class PKCS11Module: @unchecked Sendable {
    let path: String
    private let handle: UnsafeMutableRawPointer
    let functions: UnsafeMutablePointer<CK_FUNCTION_LIST>
    /// False when something else in the process had initialised the module: then finalising is left to it.
    private let initialisedHere: Bool
    private var users = 0  // guarded by registryLock

    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var registry: [String: PKCS11Module] = [:]

    private init(path: String, handle: UnsafeMutableRawPointer, functions: UnsafeMutablePointer<CK_FUNCTION_LIST>,
                 initialisedHere: Bool) {
        self.path = path
        self.handle = handle
        self.functions = functions
        self.initialisedHere = initialisedHere
    }

    /// Loads and initialises the module at `path` (with `CKF_OS_LOCKING_OK`: the module may be called from any thread),
    /// or returns the already loaded one. Each call must be balanced by ``release()``.
    /// - Throws: ``WeightSealError/Code/pkcs11`` naming `path`: no such file, `dlopen`'s reason, no
    ///   `C_GetFunctionList`, or the CK_RV of `C_GetFunctionList` / `C_Initialize`.
    static func acquire(path: String) throws(WeightSealError) -> PKCS11Module {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw WeightSealError(.pkcs11, "cannot load the PKCS #11 module \(path): \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw WeightSealError(.pkcs11, "cannot load the PKCS #11 module \(path): not a file")
        }
        let key = realpath(path, nil).map { p in defer { free(p) }; return String(cString: p) } ?? path
        registryLock.lock()
        defer { registryLock.unlock() }
        if let module = registry[key] {
            module.users += 1
            return module
        }
        _ = dlerror()
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
            throw WeightSealError(.pkcs11, "cannot load the PKCS #11 module \(path): \(reason)")
        }
        guard let symbol = dlsym(handle, "C_GetFunctionList") else {
            dlclose(handle)
            throw WeightSealError(.pkcs11, "\(path) is not a PKCS #11 module: it has no C_GetFunctionList")
        }
        var list: UnsafeMutablePointer<CK_FUNCTION_LIST>?
        let rv = weightseal_pkcs11_get_function_list(symbol, &list)
        guard rv == CKR_OK, let list else {
            dlclose(handle)
            throw WeightSealError(.pkcs11, "\(path): C_GetFunctionList failed: \(pkcs11Name(rv))")
        }
        guard list.pointee.version.major >= 2 else {
            dlclose(handle)
            throw WeightSealError(.pkcs11,
                "\(path) implements PKCS #11 \(list.pointee.version.major).\(list.pointee.version.minor); weightseal needs 2.x or later")
        }
        var args = CK_C_INITIALIZE_ARGS(CreateMutex: nil, DestroyMutex: nil, LockMutex: nil, UnlockMutex: nil,
                                        flags: CKF_OS_LOCKING_OK, pReserved: nil)
        let initRV = list.pointee.C_Initialize?(&args) ?? CKR_FUNCTION_NOT_SUPPORTED
        guard initRV == CKR_OK || initRV == CKR_CRYPTOKI_ALREADY_INITIALIZED else {
            dlclose(handle)
            throw WeightSealError(.pkcs11, "\(path): C_Initialize failed: \(pkcs11Name(initRV))")
        }
        let module = PKCS11Module(path: path, handle: handle, functions: list, initialisedHere: initRV == CKR_OK)
        module.users = 1
        registry[key] = module
        return module
    }

    /// Ends one use; the last finalises and unloads the module.
    func release() {
        PKCS11Module.registryLock.lock()
        defer { PKCS11Module.registryLock.unlock() }
        users -= 1
        guard users == 0 else { return }
        PKCS11Module.registry = PKCS11Module.registry.filter { $0.value !== self }
        if initialisedHere { _ = functions.pointee.C_Finalize?(nil) }
        dlclose(handle)
    }

    /// Calls a function of the list; a function the module left NULL answers `CKR_FUNCTION_NOT_SUPPORTED`.
    func call(_ body: (CK_FUNCTION_LIST) -> CK_RV?) -> CK_RV {
        body(functions.pointee) ?? CKR_FUNCTION_NOT_SUPPORTED
    }
}

/// The name of a PKCS #11 v2.40 return value (§3.6, "CK_RV"), e.g. `CKR_PIN_INCORRECT`; others as
/// `CKR_VENDOR_DEFINED+0x…` or hex.
func pkcs11Name(_ rv: CK_RV) -> String {
    if let name = pkcs11ReturnValueNames[rv] { return name }
    if rv >= 0x8000_0000 { return "CKR_VENDOR_DEFINED+0x" + String(rv - 0x8000_0000, radix: 16) }
    return "CK_RV 0x" + String(rv, radix: 16)
}

private let pkcs11ReturnValueNames: [CK_RV: String] = [
    0x000: "CKR_OK", 0x001: "CKR_CANCEL", 0x002: "CKR_HOST_MEMORY", 0x003: "CKR_SLOT_ID_INVALID",
    0x005: "CKR_GENERAL_ERROR", 0x006: "CKR_FUNCTION_FAILED", 0x007: "CKR_ARGUMENTS_BAD", 0x008: "CKR_NO_EVENT",
    0x009: "CKR_NEED_TO_CREATE_THREADS", 0x00A: "CKR_CANT_LOCK",
    0x010: "CKR_ATTRIBUTE_READ_ONLY", 0x011: "CKR_ATTRIBUTE_SENSITIVE", 0x012: "CKR_ATTRIBUTE_TYPE_INVALID",
    0x013: "CKR_ATTRIBUTE_VALUE_INVALID", 0x01B: "CKR_ACTION_PROHIBITED",
    0x020: "CKR_DATA_INVALID", 0x021: "CKR_DATA_LEN_RANGE",
    0x030: "CKR_DEVICE_ERROR", 0x031: "CKR_DEVICE_MEMORY", 0x032: "CKR_DEVICE_REMOVED",
    0x040: "CKR_ENCRYPTED_DATA_INVALID", 0x041: "CKR_ENCRYPTED_DATA_LEN_RANGE",
    0x050: "CKR_FUNCTION_CANCELED", 0x051: "CKR_FUNCTION_NOT_PARALLEL", 0x054: "CKR_FUNCTION_NOT_SUPPORTED",
    0x060: "CKR_KEY_HANDLE_INVALID", 0x062: "CKR_KEY_SIZE_RANGE", 0x063: "CKR_KEY_TYPE_INCONSISTENT",
    0x064: "CKR_KEY_NOT_NEEDED", 0x065: "CKR_KEY_CHANGED", 0x066: "CKR_KEY_NEEDED", 0x067: "CKR_KEY_INDIGESTIBLE",
    0x068: "CKR_KEY_FUNCTION_NOT_PERMITTED", 0x069: "CKR_KEY_NOT_WRAPPABLE", 0x06A: "CKR_KEY_UNEXTRACTABLE",
    0x070: "CKR_MECHANISM_INVALID", 0x071: "CKR_MECHANISM_PARAM_INVALID",
    0x082: "CKR_OBJECT_HANDLE_INVALID",
    0x090: "CKR_OPERATION_ACTIVE", 0x091: "CKR_OPERATION_NOT_INITIALIZED",
    0x0A0: "CKR_PIN_INCORRECT", 0x0A1: "CKR_PIN_INVALID", 0x0A2: "CKR_PIN_LEN_RANGE", 0x0A3: "CKR_PIN_EXPIRED",
    0x0A4: "CKR_PIN_LOCKED",
    0x0B0: "CKR_SESSION_CLOSED", 0x0B1: "CKR_SESSION_COUNT", 0x0B3: "CKR_SESSION_HANDLE_INVALID",
    0x0B4: "CKR_SESSION_PARALLEL_NOT_SUPPORTED", 0x0B5: "CKR_SESSION_READ_ONLY", 0x0B6: "CKR_SESSION_EXISTS",
    0x0B7: "CKR_SESSION_READ_ONLY_EXISTS", 0x0B8: "CKR_SESSION_READ_WRITE_SO_EXISTS",
    0x0C0: "CKR_SIGNATURE_INVALID", 0x0C1: "CKR_SIGNATURE_LEN_RANGE",
    0x0D0: "CKR_TEMPLATE_INCOMPLETE", 0x0D1: "CKR_TEMPLATE_INCONSISTENT",
    0x0E0: "CKR_TOKEN_NOT_PRESENT", 0x0E1: "CKR_TOKEN_NOT_RECOGNIZED", 0x0E2: "CKR_TOKEN_WRITE_PROTECTED",
    0x0F0: "CKR_UNWRAPPING_KEY_HANDLE_INVALID", 0x0F1: "CKR_UNWRAPPING_KEY_SIZE_RANGE",
    0x0F2: "CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT",
    0x100: "CKR_USER_ALREADY_LOGGED_IN", 0x101: "CKR_USER_NOT_LOGGED_IN", 0x102: "CKR_USER_PIN_NOT_INITIALIZED",
    0x103: "CKR_USER_TYPE_INVALID", 0x104: "CKR_USER_ANOTHER_ALREADY_LOGGED_IN", 0x105: "CKR_USER_TOO_MANY_TYPES",
    0x110: "CKR_WRAPPED_KEY_INVALID", 0x112: "CKR_WRAPPED_KEY_LEN_RANGE", 0x113: "CKR_WRAPPING_KEY_HANDLE_INVALID",
    0x114: "CKR_WRAPPING_KEY_SIZE_RANGE", 0x115: "CKR_WRAPPING_KEY_TYPE_INCONSISTENT",
    0x120: "CKR_RANDOM_SEED_NOT_SUPPORTED", 0x121: "CKR_RANDOM_NO_RNG",
    0x130: "CKR_DOMAIN_PARAMS_INVALID", 0x140: "CKR_CURVE_NOT_SUPPORTED", 0x150: "CKR_BUFFER_TOO_SMALL",
    0x160: "CKR_SAVED_STATE_INVALID", 0x170: "CKR_INFORMATION_SENSITIVE", 0x180: "CKR_STATE_UNSAVEABLE",
    0x190: "CKR_CRYPTOKI_NOT_INITIALIZED", 0x191: "CKR_CRYPTOKI_ALREADY_INITIALIZED",
    0x1A0: "CKR_MUTEX_BAD", 0x1A1: "CKR_MUTEX_NOT_LOCKED",
    0x1B0: "CKR_NEW_PIN_MODE", 0x1B1: "CKR_NEXT_OTP", 0x1B5: "CKR_EXCEEDED_MAX_ITERATIONS",
    0x1B6: "CKR_FIPS_SELF_TEST_FAILED", 0x1B7: "CKR_LIBRARY_LOAD_FAILED", 0x1B8: "CKR_PIN_TOO_WEAK",
    0x1B9: "CKR_PUBLIC_KEY_INVALID", 0x200: "CKR_FUNCTION_REJECTED",
]
