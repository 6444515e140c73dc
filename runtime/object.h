// Object layouts: the handful of CPython types fib touches.
//
// Every object starts with `Object<RC>`: the reference-count policy's header
// (CPython's ob_refcnt, or whatever the policy needs) and a type tag. Each
// concrete type embeds `Object<RC>` as its first member, so an Object* and a
// pointer to the concrete type are pointer-interconvertible (all types here
// are standard-layout), exactly as PyObject* and PyLongObject* are in C.
//
// The tag replaces CPython's ob_type pointer: deallocation dispatches on it
// with a switch, not a function pointer, so the compiler sees every path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "dictlock/pymutex.h"

namespace rclab::runtime {

enum class Type : std::uint8_t {
  kNone, kBool, kInt, kStr, kTuple, kDict, kCode, kFunction, kFrame,
  // The workloads' types (workloads/README.md): containers, iterators,
  // closures' cells, classes and their instances, bound methods, builtins.
  kList, kListIter, kTupleIter, kRange, kRangeIter, kCell, kClass, kInstance, kMethod, kBuiltin, kQueue,
  kNotImplemented,  // the NotImplemented singleton, which a tp_richcompare returns (runtime/abstract.h)
  kFloat,
  kModule,  // a module object (runtime/modules.h): its dict is shared by every thread
  kLocal,   // a threading.local (runtime/thread_local.h)
  kMethodCaller,  // an operator.methodcaller (runtime/builtins.h; each generation's interpreter calls it)
  kGenerator,     // a generator (runtime/generator.h; each generation's interpreter runs its frame)
  kExcClass,      // a builtin exception class (runtime/exceptions.h): static, immortal from 3.12
  kException,     // an exception instance (PyBaseExceptionObject)
  kTraceback,     // a traceback entry (PyTracebackObject)
  kFrameObject,   // py313's PyFrameObject, made for a traceback (py36's frames are objects: kFrame)
  kStaticMethod,  // a staticmethod (runtime/classes.h: type_new wraps a class's plain __new__ function in one)
  kTupleSub,      // an instance of a heap class whose base is tuple (a namedtuple): a Tuple, then its class
  kCount,         // the number of types (the type table's size)
  kFreed = 0xdd,  // debug builds poison a deallocated object's tag with this
};

// Object flag bits (CPython 3.13's ob_gc_bits). Set when the object is
// created, before another thread can see it, and never changed after.
enum ObjectFlag : std::uint8_t {
  kDeferredFlag = 1u << 0,  // stack references are not counted (refcount/deferred.h)
};

template <class RC>
struct Object {
  typename RC::Header rc;  // first: a policy may treat &rc as the object's address
  Type type;
  std::uint8_t flags;  // ObjectFlag bits
};

// An int in CPython 3.6's representation (PyLongObject): a signed digit
// count (ob_size: negative for negative values, 0 for zero) and that many
// 30-bit digits, least significant first, in the same block. The block holds
// at least one digit, as _PyLong_New(0) allocates. Values are limited to 64
// bits (three digits); fib(91) fits.
template <class RC>
struct Int {
  static constexpr int kShift = 30;  // PyLong_SHIFT
  static constexpr std::uint32_t kMask = (1u << kShift) - 1;
  static constexpr int kMaxDigits = 3;
  Object<RC> ob;
  std::int64_t size;  // ob_size
  std::uint32_t* digits() { return reinterpret_cast<std::uint32_t*>(this + 1); }
  const std::uint32_t* digits() const { return reinterpret_cast<const std::uint32_t*>(this + 1); }
  static constexpr std::size_t block_size(std::int64_t ndigits) {
    return sizeof(Int) + sizeof(std::uint32_t) * std::size_t(ndigits > 0 ? ndigits : 1);
  }
};

// A float (PyFloatObject): one double.
template <class RC>
struct Float {
  Object<RC> ob;
  double fval;
};

// An immutable string with its hash cached, as CPython's str. The bytes follow
// the struct in the same block.
template <class RC>
struct Str {
  Object<RC> ob;
  std::uint64_t hash;
  std::uint32_t size;
  const char* chars() const { return reinterpret_cast<const char*>(this + 1); }
  std::string_view view() const { return {chars(), size}; }
};

// A fixed-size tuple; the item pointers follow the struct in the same block.
// Items are owned references.
template <class RC>
struct Tuple {
  Object<RC> ob;
  std::int64_t size;
  Object<RC>** items() { return reinterpret_cast<Object<RC>**>(this + 1); }
};

// An instance of a subclass of tuple (`class P(tuple): __slots__ = ()`,
// what collections.namedtuple makes): a Tuple's layout — so the tuple
// operations read it as one — with the (heap) class it holds a reference to
// in one more slot after the items, as CPython's tuple subtypes keep their
// extra fields past the items. Made by tuple.__new__ (runtime/classes.h).
template <class RC>
Object<RC>*& tuple_sub_class(Tuple<RC>* t) {
  return t->items()[t->size];
}

// A dict: CPython's compact dict (3.6+, Objects/dictobject.c). The dict
// object holds its size, its version tag and a pointer to a keys object;
// the keys object (PyDictKeysObject) is one block: the header below, then
// the index table (1 << log2_size slots, each an int8/16/32/64 as the size
// needs, holding an entry's index, kDkixEmpty or kDkixDummy), then the
// entries in insertion order. Keys and values are owned references.
// runtime/dict.h has the operations; which entry layout a keys object uses
// is its generation's (runtime/generation.h: kDict): 3.6's always has the
// hash; 3.13's keeps str keys in unicode entries without it until a key of
// another type arrives (DICT_KEYS_GENERAL: entries with the hash).
enum DictKeysKind : std::uint8_t { kDictKeysGeneral = 0, kDictKeysUnicode = 1, kDictKeysSplit = 2 };
// An index slot's and a lookup's special values (DKIX_*).
inline constexpr std::int64_t kDkixEmpty = -1, kDkixDummy = -2, kDkixError = -3, kDkixKeyChanged = -4;

struct DictKeys {
  std::int64_t refcnt;             // dk_refcnt: 1, or immortal for the shared empty keys
  std::uint8_t log2_size;          // dk_log2_size: log2 of the index table's slots
  std::uint8_t log2_index_bytes;   // dk_log2_index_bytes: log2 of its bytes (slot width 1, 2, 4 or 8)
  std::uint8_t kind;               // dk_kind: 3.13's entry layout (unicode, general, split); 3.6: unicode
  // dk_version (3.11+): 0 until the specialiser asks for one
  // (runtime/py313/specialize.h), then a number no other keys state had;
  // back to 0 when a key is added (a new keys object starts at 0). An
  // entry's index is valid for as long as the version is:
  // LOAD_GLOBAL_MODULE reads entries[index] after comparing it.
  std::uint32_t version;
  std::int64_t usable;             // dk_usable: entries still free before a resize
  std::int64_t nentries;           // dk_nentries: entries used
  // 3.6's dk_lookup: the lookup function every read calls through
  // (lookdict_unicode_nodummy while every key is a str, lookdict once a
  // key of another type was looked up or stored; no deletions). Null under
  // 3.13, whose readers dispatch on `kind`. 3.13's header has no such word:
  // its indices start 8 bytes earlier.
  void (*lookup)();
  char* indices() { return reinterpret_cast<char*>(this + 1); }
  const char* indices() const { return reinterpret_cast<const char*>(this + 1); }
};

// 3.13's PyDictUnicodeEntry: no hash, it is read from the str.
template <class RC>
struct DictUnicodeEntry {
  Str<RC>* key;  // nullptr: not yet written
  Object<RC>* value;
};
// 3.6's PyDictKeyEntry (3.13's DICT_KEYS_GENERAL entries): any hashable key.
template <class RC>
struct DictKeyEntry {
  std::uint64_t hash;
  Object<RC>* key;
  Object<RC>* value;
};

template <class RC>
struct Dict {
  Object<RC> ob;
  std::uint64_t used = 0;         // ma_used
  std::uint64_t version_tag = 0;  // ma_version_tag (PEP 509): a new number at every change
  DictKeys* keys = nullptr;       // ma_keys
  Object<RC>** values = nullptr;  // ma_values: always null (split tables are not modelled)
  // 3.14t's unique id of a module's dict (runtime/deferred_gc.h): its slot
  // in every thread's per-thread counts, or 0.
  std::uint32_t unique_id = 0;
  // MAINTAIN_TRACKING's state: the cycle collector would track the dict
  // once it holds something it could track. Read and written by writers
  // only, inside the dict's lock (rclab has no collector to read it).
  std::uint8_t gc_tracked = 0;
};

// Code flags (CPython's CO_*) that the call path tests.
enum CodeFlag : std::int32_t {
  kCoOptimized = 0x1, kCoNewLocals = 0x2, kCoVarargs = 0x4, kCoVarkeywords = 0x8, kCoNested = 0x10, kCoNofree = 0x40,
  kCoGenerator = 0x20, kCoCoroutine = 0x80, kCoAsyncGenerator = 0x200,
};

// 3.11+'s kinds of a localsplus slot (co_localspluskinds; pycore_code.h).
enum LocalKind : std::uint8_t { kFastHidden = 0x10, kFastLocal = 0x20, kFastCell = 0x40, kFastFree = 0x80 };

// _PyCodeArray (3.14t, Include/cpython/code.h): `size` pointers to copies
// of a code object's bytecode follow it in its block, one per thread-local
// bytecode index, null until that index's thread makes its copy. Each copy
// is a block of the code's ncode units. Made and read in runtime/py313/
// tlbc.h; freed, with the copies, when the code object is (runtime/dealloc.h).
struct CodeArray {
  std::int64_t size;
  std::uint16_t** entries() { return reinterpret_cast<std::uint16_t**>(this + 1); }
  static constexpr std::size_t block_size(std::int64_t size) {
    return sizeof(CodeArray) + std::size_t(size) * sizeof(std::uint16_t*);
  }
};

// A code object, for either interpreter generation (runtime/generation.h).
// py36: CPython 3.6 wordcode (opcode in the low byte, argument in the high
// byte), its constants and names; owns consts, names, name and cell2arg.
// py313: 3.13's code units with their inline caches, quickened: `code` is
// the adaptive copy (_co_code_adaptive) the specialiser rewrites in place;
// also owns localsplusnames, localspluskinds, qualname, filename and the
// exception table. The loaders (runtime/py36/marshal.h,
// runtime/py313/marshal.h) build them from each generation's marshal
// format; 3.6's fib is also built by hand (experiments/fib_workload.h).
template <class RC>
struct Code {
  Object<RC> ob;
  std::uint16_t* code;
  std::uint32_t ncode;  // words
  std::int32_t argcount;
  std::int32_t nlocals;
  std::int32_t stacksize;
  std::int32_t flags;            // co_flags: fib's are CO_OPTIMIZED | CO_NEWLOCALS | CO_NOFREE
  std::int32_t kwonlyargcount;   // always 0 here
  std::int32_t ncells, nfrees;   // the sizes of co_cellvars and co_freevars
  std::int32_t firstlineno;
  Tuple<RC>* consts;
  Tuple<RC>* names;  // of Str
  Str<RC>* name;
  // co_cell2arg: for each cell variable, the argument it starts as, or -1
  // (3.6's CO_CELL_NOT_AN_ARG). nullptr when no cell is an argument.
  std::int32_t* cell2arg = nullptr;
  // --- py313 only (zero or null for py36 code) ---
  std::int32_t posonlyargcount = 0;
  std::int32_t nlocalsplus = 0;  // locals, cells and frees: len(co_localsplusnames)
  std::int32_t framesize = 0;    // words of its interpreter frame: specials + nlocalsplus + stacksize
  Tuple<RC>* localsplusnames = nullptr;     // of Str (py36: co_varnames, which keywords bind by)
  std::uint8_t* localspluskinds = nullptr;  // nlocalsplus LocalKind bits, in a block of the allocator
  Str<RC>* qualname = nullptr;
  Str<RC>* filename = nullptr;
  std::uint8_t* exceptiontable = nullptr;  // co_exceptiontable's bytes (py313/exception_table.h reads them)
  std::uint32_t nexceptiontable = 0;
  std::uint32_t version = 0;  // co_version: the version functions made from it get
  // _co_instrumentation_version: the sys.monitoring version its bytecode
  // was instrumented for, which RESUME compares with the eval-breaker
  // word's version bits. Always 0: nothing instruments.
  std::uintptr_t instrumentation_version = 0;
  std::uint32_t unique_id = 0;  // 3.14t's per-thread count slot (runtime/deferred_gc.h), or 0
  // _co_firsttraceable, in code units: a frame before it is incomplete (no
  // traceback entry, no frame object; runtime/py313/frame.h). 0 for every
  // loaded code (the model's raises all come after RESUME); past the end
  // for the __init__ shim's code (runtime/py313/interp.h), whose frame is
  // never complete, as 3.13's _Py_InitCleanup's is not.
  std::int32_t firsttraceable = 0;
  // --- py313-tlbc only (null, unlocked and unused elsewhere) ---
  // co_tlbc: the per-thread copies of `code` (a CodeArray; entry 0 is `code`
  // itself), replaced by a bigger array, published with a release store,
  // when a thread's index outgrows it (runtime/py313/tlbc.h). And ob_mutex:
  // the copies are made in a critical section on the code object, as 3.14t's.
  CodeArray* tlbc = nullptr;
  dictlock::PyMutex mutex;
};

// The block holding a code's localspluskinds: one byte per slot, at least
// one (a module's code has no slot, and a block of zero bytes would leave
// the allocator's size class to chance). Allocation and free both use it.
constexpr std::size_t localspluskinds_block_size(std::int64_t nlocalsplus) {
  return nlocalsplus > 0 ? std::size_t(nlocalsplus) : 1;
}

template <class RC>
struct Function {
  Object<RC> ob;
  Code<RC>* code;
  Dict<RC>* globals;
  Str<RC>* name;
  Tuple<RC>* defaults = nullptr;  // func_defaults (owned), or null
  Tuple<RC>* closure = nullptr;   // func_closure: a tuple of cells, or null
  Str<RC>* qualname = nullptr;    // func_qualname (null: the same object as name)
  Object<RC>* doc = nullptr;      // func_doc: None unless co_consts[0] is a str
  Object<RC>* module = nullptr;   // func_module: the globals' __name__, if any
  // py313: func_builtins (owned) and func_version, the number
  // CALL_PY_EXACT_ARGS's cache compares (0: none yet; 3.13 assigns one at
  // creation and resets it when __code__ or __defaults__ change).
  Dict<RC>* builtins = nullptr;
  std::uint32_t version = 0;
  // py313: the function's vectorcall (_PyFunction_Vectorcall unless
  // something replaced it), which the generic CALL compares before it
  // inlines the call; null for py36 functions.
  void (*vectorcall)() = nullptr;
};

// A list (PyListObject): `size` owned references in a separately allocated
// array of `allocated` slots, grown as 3.6's list_resize grows it.
template <class RC>
struct List {
  Object<RC> ob;
  std::int64_t size;
  Object<RC>** items;
  std::int64_t allocated;
};

// The iterators FOR_ITER drives. A list or tuple iterator owns its
// sequence until it is exhausted (3.6 drops it then); a range iterator
// holds plain integers (3.6's fast rangeiterobject).
template <class RC>
struct SeqIter {
  Object<RC> ob;
  std::int64_t index;
  Object<RC>* seq;  // List or Tuple; null once exhausted
};

template <class RC>
struct RangeIter {
  Object<RC> ob;
  std::int64_t index, start, step, len;
};

// range(start, stop, step) (rangeobject): four owned ints, as 3.6's.
template <class RC>
struct Range {
  Object<RC> ob;
  Object<RC>* start;
  Object<RC>* stop;
  Object<RC>* step;
  Object<RC>* length;
};

// A closure's cell (PyCellObject).
template <class RC>
struct Cell {
  Object<RC> ob;
  Object<RC>* ref;  // owned, or null when empty
};

// A class made by a `class` statement (a heap type): its name, its
// namespace and its one base (null for `object`). Instances hold a
// reference to their class, as 3.6's heap-type instances do.
template <class RC>
struct Class {
  Object<RC> ob;
  Str<RC>* name;
  Dict<RC>* dict;
  Class* base;
  // py313: tp_version_tag (0: none yet; assigned by the specialiser or by
  // a type-cache miss, reset when the class's namespace changes), and the
  // shared keys of its instances' inline values (ht_cached_keys, PEP 412
  // and 3.12's managed dicts): a DICT_KEYS_SPLIT keys object
  // (runtime/dict.h: new_split_keys) whose entries are the attribute names
  // in the order instances first stored them — an entry's index is the
  // inline value's slot — made at the first store; with a version the
  // method specialisations compare (a new name could shadow a method).
  // Borrowed names: every one is interned.
  static constexpr std::uint32_t kMaxSharedKeys = 30;  // SHARED_KEYS_MAX_SIZE
  // False for a class whose body sets `__slots__ = ()` on a base without a
  // __dict__ (object): its instances have neither a dict nor inline values
  // (3.13: no Py_TPFLAGS_INLINE_VALUES or MANAGED_DICT), so an attribute
  // lookup finds the class's attribute without reading one.
  bool has_dict = true;
  // A subclass of tuple (`class P(tuple)`, a namedtuple): its instances are
  // kTupleSub objects, which only tuple.__new__ makes (runtime/classes.h).
  bool tuple_base = false;
  // tp_new is slot_tp_new: the class or a base defines `__new__` (held in
  // its dict as a staticmethod). Calling it runs that `__new__` from C, and
  // 3.13's specialiser leaves such a call generic.
  bool slot_new = false;
  std::uint32_t version_tag = 0;
  std::uint32_t shared_keys_version = 0;
  std::uint32_t unique_id = 0;  // 3.14t's per-thread count slot (runtime/deferred_gc.h), or 0
  DictKeys* cached_keys = nullptr;
  // _spec_cache.init: the Python __init__ CALL_ALLOC_AND_ENTER_INIT enters
  // (borrowed: the class's dict holds it; read only under the version the
  // instruction's cache holds, which ends when the namespace changes).
  Function<RC>* spec_init = nullptr;
};

// An instance of a Class. py36: its class and its __dict__ (made at the
// first attribute store, as 3.6 does). py313: its attributes are inline
// values, one slot per shared key of its class, following the struct in its
// block (3.12+'s Py_TPFLAGS_INLINE_VALUES); `dict` stays null unless an
// attribute does not fit there.
template <class RC>
struct Instance {
  Object<RC> ob;
  Class<RC>* cls;
  Dict<RC>* dict;
  std::uint32_t nvalues = 0;  // slots after the struct (0 for py36 instances)
  // ob_mutex: 3.13t's generic attribute store runs in a critical section on
  // the instance (_PyObject_StoreInstanceAttribute); unused elsewhere.
  dictlock::PyMutex mutex;
  Object<RC>** values() { return reinterpret_cast<Object<RC>**>(this + 1); }
};

// A bound method (PyMethodObject): a function and the instance it is bound to.
template <class RC>
struct Method {
  Object<RC> ob;
  Object<RC>* func;
  Object<RC>* self;
};

// A staticmethod (Objects/funcobject.c): the callable it wraps, an owned
// reference. Its tp_descr_get hands out a new reference to that callable.
template <class RC>
struct StaticMethod {
  Object<RC> ob;
  Object<RC>* callable;
};

// A builtin callable (PyCFunctionObject): `which` indexes the runtime's
// builtin table (runtime/builtins.h), `self` is the object a method is
// bound to (owned), null for a module-level builtin or a type.
template <class RC>
struct Builtin {
  Object<RC> ob;
  std::uint32_t which;
  Object<RC>* self;
};

// A module (PyModuleObject): its namespace dict (md_dict) and its name.
template <class RC>
struct Module {
  Object<RC> ob;
  Dict<RC>* dict;
  Str<RC>* name;
};

// A threading.local (localobject, runtime/thread_local.h): 3.6 finds a
// thread's dict through its key in the thread state's dict; 3.13 through
// the thread's key in `localdicts`, which every thread reads. The other is
// null.
template <class RC>
struct ThreadLocal {
  Object<RC> ob;
  Str<RC>* key;
  Dict<RC>* localdicts;
};

// An operator.methodcaller(name) (methodcallerobject): the method's name,
// interned as both intern it, and the extra arguments, none here (the
// runtime's empty tuple).
template <class RC>
struct MethodCaller {
  Object<RC> ob;
  Str<RC>* name;
  Tuple<RC>* args;
};

// A generator (PyGenObject): its name and qualified name (owned), and its
// frame. py36: `frame` is the frame object it owns (gi_frame, null once the
// generator has finished) and `code` its gi_code (owned); `running` is
// gi_running. py313: the frame is 3.13's _PyInterpreterFrame embedded in
// the generator's block (gi_iframe: `frame_words` words after the struct),
// which holds the code (f_executable) until the generator is freed;
// `frame_state` is gi_frame_state (3.13's FRAME_* numbers). Each
// generation's interpreter makes, runs and clears its own (py36/interp.h,
// py313/interp.h): it leaves `clear_frame`, which deallocation calls to
// release the frame and the code (the thread state passed as void*, since
// the object model does not know the generations).
template <class RC>
struct Generator {
  Object<RC> ob;
  Str<RC>* name;
  Str<RC>* qualname;
  void* frame = nullptr;          // py36: the Frame<RC> (owned), null once finished; py313: unused (iframe())
  Code<RC>* code = nullptr;       // py36's gi_code (owned); null for py313
  void (*clear_frame)(void* ts, Generator* g) = nullptr;
  std::int8_t frame_state = 0;    // py313's gi_frame_state
  std::int8_t running = 0;        // py36's gi_running
  std::uint32_t frame_words = 0;  // py313: the embedded frame's size in words (co_framesize)
  void* iframe() { return this + 1; }
};
// 3.13's gi_frame_state values (Include/internal/pycore_frame.h).
enum FrameState : std::int8_t {
  kFrameCreated = -3, kFrameSuspended = -2, kFrameSuspendedYieldFrom = -1, kFrameExecuting = 0,
  kFrameCompleted = 1, kFrameCleared = 4,
};

// A builtin exception class (a static PyTypeObject such as PyExc_KeyError):
// its name and its base (both owned; BaseException's base is null). Made
// once per runtime from the generation's list (runtime/exceptions.h) and
// immortal where the generation's static types are.
template <class RC>
struct ExcClass {
  Object<RC> ob;
  Str<RC>* name;
  ExcClass* base;
};

// An exception (PyBaseExceptionObject, 3.13's field order): its class
// (static, so not counted: type_call's tp_alloc increfs only heap types)
// and the owned fields BaseException_clear drops, in its order. `dict` and
// `notes` stay null here (nothing sets an attribute or adds a note).
template <class RC>
struct Exception {
  Object<RC> ob;
  ExcClass<RC>* cls;
  Object<RC>* dict = nullptr;
  Tuple<RC>* args = nullptr;
  Object<RC>* notes = nullptr;
  Object<RC>* traceback = nullptr;  // a Traceback, or null
  Object<RC>* cause = nullptr;
  Object<RC>* context = nullptr;
  bool suppress_context = false;
};

// A traceback entry (PyTracebackObject): the next entry (towards the
// frame that raised) and the frame object, both owned; the instruction's
// byte offset (tb_lasti) and tb_lineno (-1: computed lazily, as 3.11+).
template <class RC>
struct Traceback {
  Object<RC> ob;
  Traceback* next;
  Object<RC>* frame;
  std::int32_t lasti;
  std::int32_t lineno;
};

// py313's frame object (PyFrameObject, 3.13): made when a traceback needs
// one for an interpreter frame (_PyFrame_GetFrameObject), which then holds
// it (frame_obj, a strong reference). `f_frame` points at that interpreter
// frame while it runs; if the frame object outlives it, the frame's specials
// and slots are copied into the block after this struct (`data_words` words:
// _f_frame_data, sized for the code's frame) and f_frame points there
// (take_ownership). `back` is f_back (owned), set only then. The interpreter
// generation leaves `drop_frame`, which deallocation calls to release what
// an owned copy holds (its function, locals and stack) and which returns
// its code, dropped last as frame_dealloc drops it.
template <class RC>
struct FrameObject {
  Object<RC> ob;
  FrameObject* back = nullptr;
  void* f_frame = nullptr;
  Object<RC>* (*drop_frame)(void* ts, FrameObject* f) = nullptr;
  std::uint32_t data_words = 0;
  void* data() { return this + 1; }
};

// PyGC_Head: the cyclic GC's link in a generation's list. 3.6 puts it before
// the object; here it follows the header (the header must stay first). Only
// frames are tracked: fib's path tracks and untracks one per call.
struct GcHead {
  static constexpr std::int64_t kUntracked = -2;  // _PyGC_REFS_UNTRACKED
  static constexpr std::int64_t kReachable = -3;  // _PyGC_REFS_REACHABLE
  GcHead* next = nullptr;
  GcHead* prev = nullptr;
  std::int64_t refs = kUntracked;
};

// PyTryBlock: f_blockstack's entries (SETUP_LOOP and friends; fib pushes none).
struct TryBlock {
  std::int32_t type, handler, level;
};

// An execution frame, PyFrameObject's fields in 3.6's order, so a frame is
// as big as 3.6's (the block stack alone is 240 bytes) and its set-up and
// teardown touch what 3.6's touch. Owns back, code, builtins, globals and
// its locals; the fields fib never sets (locals dict, trace, exception
// state, generator) stay null and are cleared as 3.6 clears them.
// `capacity` slots (locals, then the value stack) follow the struct; the
// capacity (ob_size) survives a trip through a freelist, which reuses only
// the first word (the refcount header) as its link.
template <class RC>
struct Frame {
  static constexpr int kMaxBlocks = 20;  // CO_MAXBLOCKS
  Object<RC> ob;
  GcHead gc;
  std::uint32_t capacity;
  Frame* back;
  Code<RC>* code;
  Dict<RC>* builtins;
  Dict<RC>* globals;
  Object<RC>* locals;  // f_locals: null for optimised code
  Object<RC>** valuestack;
  Object<RC>** stacktop;  // null while executing
  Object<RC>* trace;
  Object<RC>* exc_type;
  Object<RC>* exc_value;
  Object<RC>* exc_traceback;
  Object<RC>* gen;
  std::int32_t lasti;
  std::int32_t lineno;
  std::int32_t iblock;
  std::int8_t executing;
  TryBlock blockstack[kMaxBlocks];
  Object<RC>** localsplus() { return reinterpret_cast<Object<RC>**>(this + 1); }
};

// The checked downcast of CPython's `(PyLongObject *)op`.
template <template <class> class T, class RC>
T<RC>* as(Object<RC>* o) {
  static_assert(std::is_standard_layout_v<T<RC>>);
  return reinterpret_cast<T<RC>*>(o);
}
template <template <class> class T, class RC>
const T<RC>* as(const Object<RC>* o) {
  static_assert(std::is_standard_layout_v<T<RC>>);
  return reinterpret_cast<const T<RC>*>(o);
}

template <template <class> class T, class RC>
Object<RC>* ob(T<RC>* p) {
  return &p->ob;
}

}  // namespace rclab::runtime
