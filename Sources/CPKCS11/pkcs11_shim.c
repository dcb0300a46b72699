#include "pkcs11_types.h"
#include <stddef.h>

// The layout modules expect on LP64 (64-bit Linux): a 2-byte CK_VERSION padded to a pointer, then 68 function
// pointers in the specification's order; CK_TOKEN_INFO as the specification lists its fields.
#if defined(__LP64__)
_Static_assert(offsetof(CK_FUNCTION_LIST, C_Initialize) == 8, "CK_FUNCTION_LIST: version is padded to 8 bytes");
_Static_assert(offsetof(CK_FUNCTION_LIST, C_Sign) == 8 + 43 * 8, "CK_FUNCTION_LIST: C_Sign is the 44th function");
_Static_assert(sizeof(CK_FUNCTION_LIST) == 8 + 68 * 8, "CK_FUNCTION_LIST: 68 functions in v2.40");
_Static_assert(offsetof(CK_TOKEN_INFO, flags) == 96 && sizeof(CK_TOKEN_INFO) == 208, "CK_TOKEN_INFO layout");
_Static_assert(sizeof(CK_ATTRIBUTE) == 24 && sizeof(CK_C_INITIALIZE_ARGS) == 48, "CK_ATTRIBUTE / INITIALIZE_ARGS");
#endif

CK_RV weightseal_pkcs11_get_function_list(void *symbol, CK_FUNCTION_LIST_PTR_PTR list) {
    CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR) = (CK_RV (*)(CK_FUNCTION_LIST_PTR_PTR))symbol;
    return get(list);
}
