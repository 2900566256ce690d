/**
 * The intermediate representation (IR): one language for the source function after lowering and
 * for every generated function (gradient, tangent, Hessian-vector product), so that each
 * differentiation pass is an IR → IR transform and printing happens once.
 *
 * A function is a tree of structured regions (if, counted for, general loop) whose leaves are
 * steps. Lowering produces only *primal steps*: three-address steps that apply one primitive to
 * operands (`t3 = *(t1, t2)`), array loads and stores, allocations and BLAS calls. Expression
 * temporaries are assigned exactly once; source variables keep their names and may be reassigned.
 * Jumps (break, continue, return) are removed by lowering, so every region has a single entry and
 * a single exit.
 *
 * Derivative code adds *derivative steps* whose right-hand sides are expression trees (`Expr`)
 * over the same primitives: assignments and accumulations (`d_x += d_z * Math.cos(x)`), element
 * accumulations, tape pushes (and pops, as expressions), and declarations. Every step that
 * defines a variable may carry `decl`, which says that the step declares it (`const`/`let`);
 * lowered code carries none (the reverse pass and `primalProgram` place declarations).
 *
 * Every step carries the source span it came from (`loc`), so any diagnostic raised after
 * lowering points at its construct.
 */

/** Value types: numbers, booleans, Float64Arrays (and `number[]`), lists of records or arrays. */
export type Type = "num" | "bool" | "arr" | "list";

/**
 * The integer typed arrays: arrays ("arr") of indices and counts (a sparse matrix's columns, a
 * mesh's vertex indices). Their elements are integers and have no derivative, so an integer array
 * is never active, never differentiated with respect to, and a value stored into one is converted
 * as JavaScript converts it.
 */
export const INT_ARRAYS = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array"] as const;
export type IntArrayName = (typeof INT_ARRAYS)[number];
export function isIntArrayName(name: string): name is IntArrayName {
  return (INT_ARRAYS as readonly string[]).includes(name);
}
/** "an Int32Array", "a Uint8Array". */
export function intArrayNoun(name: IntArrayName): string {
  return `${name.startsWith("I") ? "an" : "a"} ${name}`;
}

/** A source span: absolute offsets into the source text the compiler was given, and their line/column. */
export interface Loc {
  file: string;
  /** Offset of the first character. */
  start: number;
  /** Offset after the last character. */
  end: number;
  line: number; // 1-based
  col: number; // 1-based
  /** First line of the source statement (for comments in generated code). */
  text?: string;
}

export interface VarInfo {
  name: string;
  type: Type;
  kind: "param" | "local" | "temp" | "flag" | "adjoint" | "tangent" | "saved" | "counter";
  /** Name in the user's source, when the variable is one of theirs. */
  origin?: string;
  /** A list's shape (its elements' fields), for its gradient's zeros and its type. */
  shape?: import("./shape.ts").Shape;
  /** An array of integers (see INT_ARRAYS): its constructor. */
  ints?: IntArrayName;
}

export interface VarRef {
  kind: "var";
  name: string;
}
export interface Const {
  kind: "const";
  value: number | boolean;
  /** How the constant is spelled in source when it is a named constant (`Math.PI`). */
  text?: string;
}
export type Operand = VarRef | Const;

/**
 * Tape entries: doubles, integers (trip counts, branch decisions), and arrays kept by reference
 * (a `Float64Array` a loop allocates afresh in every iteration, whose values its reverse reads).
 */
export type TapeType = "num" | "int" | "bool" | "array";

/**
 * The locals through which an innermost loop reads or writes the tape's values directly: the
 * buffer (a `Float64Array`) and the loop's own top. Pushes write `buffer[top++]`, pops read
 * `buffer[--top]`; the tape's top is read before the loop and set after it.
 */
export interface TapeCursor {
  buffer: string;
  top: string;
}

/** The tape's window methods (runtime/tape.ts). */
export type TapeMethod = "reserveF" | "bufferF" | "topF" | "setTopF" | "bytes";

/**
 * Expressions of derivative code. `apply` is a rule-table primitive (scalar), `call` a runtime
 * routine (BLAS, `zeros`, …), `invoke` another generated function of the module.
 */
export type Expr =
  | VarRef
  | Const
  | { kind: "apply"; op: string; args: Expr[] }
  | { kind: "select"; cond: Expr; then: Expr; else: Expr }
  | { kind: "index"; array: string; index: Expr }
  | { kind: "call"; fn: string; args: Expr[] }
  | { kind: "invoke"; fn: string; args: Expr[] }
  /**
   * A value from the tape; `key` pairs it with the push that stored it. With `cursor`, read from
   * a window of the tape's buffer below a local top (`buffer[--top]`, see TapeCursor). An array
   * kept by reference that is an integer array carries its constructor (`ints`), for its type.
   */
  | { kind: "pop"; type: TapeType; key?: string; cursor?: TapeCursor; ints?: IntArrayName }
  /** A call of one of the tape's window methods (`tape.reserveF(n)`, `tape.topF()`, …; see TapeCursor). */
  | { kind: "tape-call"; method: TapeMethod; args: Expr[] }
  /** `object.name`, or `object?.name`. */
  | { kind: "field"; object: Expr; name: string; optional?: boolean }
  | { kind: "coalesce"; a: Expr; b: Expr }
  /** `new Float64Array(size)`, or with `ints` an integer array (`new Int32Array(size)`). */
  | { kind: "new-array"; size: Expr; ints?: IntArrayName }
  /** `list[index].a.b`: a field of an element of a list (a number, an array or a list). */
  | { kind: "at"; list: string; index: Expr; path: string[] }
  /** `array.subarray(begin, end)`: a window of an array (as a BLAS argument). */
  | { kind: "view"; array: string; begin: Expr; end: Expr }
  /** The function's tape, emptied for this call. */
  | { kind: "tape-begin" }
  | { kind: "record"; fields: [string, Expr][] }
  | { kind: "lambda"; params: string[]; body: Expr }
  /** Values only the forward computation uses (messages of throw and console calls). */
  | { kind: "text"; value: string }
  | { kind: "template"; parts: string[]; values: Expr[] }
  /** A call of a global function that is not differentiated (`console.log`). */
  | { kind: "host"; fn: string; args: Expr[] }
  /** `new Ctor(args)` of an error type, for `throw`. */
  | { kind: "construct"; ctor: string; args: Expr[] }
  /** A call of a function of the user's (a pullback or pushforward), imported by the generated module. */
  | { kind: "user"; fn: UserFunction; args: Expr[] };

export type Decl = "const" | "let";

interface StepBase {
  loc: Loc;
  /** Set on derivative statements: the source step they differentiate (for `// line N:` comments). */
  note?: Loc;
  /** A fixed comment printed above the statement. */
  comment?: string;
}

// ---- primal steps (lowering produces only these and the regions) -----------------------

/** `target = op(args)`: op names a rule-table primitive. */
export interface OpStmt extends StepBase {
  kind: "op";
  target: string;
  op: string;
  args: Operand[];
  decl?: Decl;
}
/** `target = array[index]` */
export interface LoadStmt extends StepBase {
  kind: "load";
  target: string;
  array: string;
  index: Operand;
  decl?: Decl;
}
/** `array[index] = value` */
export interface StoreStmt extends StepBase {
  kind: "store";
  array: string;
  index: Operand;
  value: Operand;
}
/** `target = new Float64Array(size)` (or `new Int32Array(size)`, … with `ints`) */
export interface AllocStmt extends StepBase {
  kind: "alloc";
  target: string;
  size: Operand;
  decl?: Decl;
  ints?: IntArrayName;
}
/**
 * `target = list[index].path…`: a field of an element of a list of records (or the element of a
 * list of arrays, `path` empty). A number is read; an array or a list is a reference.
 */
export interface GetStmt extends StepBase {
  kind: "get";
  target: string;
  list: string;
  index: Operand;
  path: string[];
  decl?: Decl;
}
/** A call of a runtime BLAS routine (a matrix-level primitive): writes an array, or `target`. */
export interface CallStmt extends StepBase {
  kind: "call";
  fn: string;
  args: Expr[];
  target?: string;
  decl?: Decl;
}

/**
 * `target = fn(args)` for a function with user-supplied derivatives (`@pullback` / `@pushforward`
 * in its JSDoc): the function is called as it is (its body is never lowered), and the
 * differentiation passes call its derivatives. Arguments are number operands and arrays
 * (variables or windows), in the order of the function's parameters.
 */
export interface CustomStmt extends StepBase {
  kind: "custom";
  target: string;
  callee: CustomCallee;
  args: Expr[];
  decl?: Decl;
  /** The pullback lowered for this call, for forward over reverse (Hvp); absent when it cannot be. */
  pullbackBody?: PullbackBody;
  /** Why the pullback cannot be differentiated, and where (the Hvp diagnostic). */
  pullbackIssue?: { message: string; loc: Loc };
}

/** Where generated code imports a function of the user's from. */
export type ModuleRef =
  /** A module file of the program: its path, and the extension relative imports of it are written with. */
  | { kind: "file"; path: string; ext: string }
  /** A package, by the specifier user code imports it with. */
  | { kind: "package"; specifier: string };

/** A function of the user's that generated code calls: its exported name and its module. */
export interface UserFunction {
  name: string;
  module: ModuleRef;
}

/** A function with user-supplied derivatives, and the functions generated code calls for it. */
export interface CustomCallee {
  fn: UserFunction;
  pullback?: UserFunction;
  pushforward?: UserFunction;
  /** Its parameters, in order: the fields of the pullback's result and of the pushforward's tangents. */
  params: { field: string; type: "num" | "arr" }[];
}

/**
 * A pullback's body lowered at one call, with its parameters bound to the call's arguments: run
 * by the reverse sweep of an Hvp so that forward mode can differentiate it.
 */
export interface PullbackBody {
  /** The variable holding the cotangent of the call's result (the pullback's last parameter). */
  cotangent: string;
  body: Stmt[];
  /** The body's own variables (not the caller's). */
  vars: Map<string, VarInfo>;
  /** The cotangent of each parameter, in parameter order: a number operand, or an array (variable or window). */
  results: Expr[];
}

// ---- regions ---------------------------------------------------------------------------

export interface IfStmt extends StepBase {
  kind: "if";
  cond: Expr;
  then: Stmt[];
  else: Stmt[];
}
/**
 * Counted loop: `for (let counter = start; counter <cmp> end; counter += step) body`.
 * In lowered code the counter and `end` are not written by the body and the body has no exits,
 * so the trip count is known on entry.
 */
export interface ForStmt extends StepBase {
  kind: "for";
  counter: string;
  start: Expr;
  end: Expr;
  cmp: "<" | "<=" | ">" | ">=";
  step: number;
  body: Stmt[];
  /** `/** @checkpoint *\/` before the loop: its reverse sweep re-runs it from snapshots. */
  checkpoint?: CheckpointTag;
}
/**
 * General loop: `while (true) { header; if (!cond) break; body; update }`, or for do-while
 * `while (true) { body; update; header; if (!cond) break; }`.
 */
export interface LoopStmt extends StepBase {
  kind: "loop";
  header: Stmt[];
  cond: Expr;
  body: Stmt[];
  update: Stmt[];
  doWhile: boolean;
  /** `/** @checkpoint *\/` before the loop: its reverse sweep re-runs it from snapshots. */
  checkpoint?: CheckpointTag;
}

/** A checkpointed loop's tag: `@checkpoint` (√n or online schedule), `@checkpoint N` (binomial, N snapshots). */
export interface CheckpointTag {
  snapshots?: number;
}

// ---- derivative steps --------------------------------------------------------------------

/** `target = value`, `target += value`, `target -= value` (with `decl`: a declaration). */
export interface AssignStmt extends StepBase {
  kind: "assign";
  target: string;
  op: "=" | "+=" | "-=";
  value: Expr;
  decl?: Decl;
}
/** `array[index] = value` or `array[index] += value` with expressions. */
export interface AssignElemStmt extends StepBase {
  kind: "assign-elem";
  array: string;
  index: Expr;
  op: "=" | "+=";
  value: Expr;
}
/** `list[index].path += value` (or `=`): a number field of a list's element. */
export interface AssignAtStmt extends StepBase {
  kind: "assign-at";
  list: string;
  index: Expr;
  path: string[];
  op: "=" | "+=";
  value: Expr;
}
/** Pushes a value on the function's tape; `key` pairs it with its pop. */
export interface PushStmt extends StepBase {
  kind: "push";
  type: TapeType;
  value: Expr;
  key?: string;
  /** Written through a loop's window of the tape (see TapeCursor). */
  cursor?: TapeCursor;
}

/** Evaluates an expression for its effect only (a tape pop whose value is not needed, `console.log(…)`). */
export interface EffectStmt extends StepBase {
  kind: "effect";
  value: Expr;
}
/** `throw value`: ends the call (a guard of the forward computation; nothing to differentiate). */
export interface ThrowStmt extends StepBase {
  kind: "throw";
  value: Expr;
}

export type LeafStmt = OpStmt | LoadStmt | StoreStmt | AllocStmt | CallStmt | GetStmt | CustomStmt;
export type HostStmt = EffectStmt | ThrowStmt;
export type RegionStmt = IfStmt | ForStmt | LoopStmt;
export type DerivStmt = AssignStmt | AssignElemStmt | AssignAtStmt | PushStmt;
export type Stmt = LeafStmt | RegionStmt | DerivStmt | HostStmt;

/** A lowered source function: the input of activity analysis and of both differentiation modes. */
export interface IRFunction {
  name: string;
  file: string;
  /**
   * The source function's parameters: the IR variable holding each (`name`, renamed when the
   * source name would shadow what generated code calls, such as `zeros`) and its source name
   * (`field`: the key of its gradient, tangent and out buffer). A parameter that is a record
   * flattens to one leaf per number or array inside it, reached by `path` (`p.layers[0]` aside,
   * see ir/shape.ts): `{ name: "W1", field: "p", path: ["W1"] }`. An optional number field
   * (`scale?: number`) is two leaves: the number (`given`: the name of the other leaf; NaN when
   * the field is absent, as arithmetic on `undefined` gives) and a boolean one that says whether
   * it is there (`presence`), read as `p.scale !== undefined`. A choice among strings (`kind:
   * "l1" | "l2"`) is one boolean leaf per string (`choice`), read as `kind === "l1"`, or as
   * `(kind ?? "l2") === "l1"` when the parameter has the default "l2" (`fallback`).
   */
  params: { name: string; type: Type; field: string; path?: string[]; list?: boolean; ints?: IntArrayName; shape?: import("./shape.ts").Shape; given?: string; presence?: boolean; choice?: string; fallback?: string }[];
  /** The source parameters, in order: the generated functions' own parameters. */
  /** `optional`: a number the caller may leave out (`scale?: number`, `lambda = 0.01`); its leaves are as an optional field's. */
  /**
   * `pattern`: a field of a parameter destructured in the signature (`{ w, b }: Params`); the
   * inputs of one such parameter are consecutive and share `param` (its position) and `shape`
   * (the whole parameter's), and the generated signatures destructure it as the source does.
   */
  inputs: { name: string; field: string; shape: import("./shape.ts").Shape; optional?: boolean; pattern?: { param: number; shape: import("./shape.ts").Shape; settings?: boolean } }[];
  /** IR variables of the parameters derivatives are wanted for (all numeric ones unless `@wrt`). */
  wrt: string[];
  /** Float64Array parameters holding the results of a vector-valued function (`@out`). */
  outputs: string[];
  vars: Map<string, VarInfo>;
  body: Stmt[];
  /** The function's result; set by the body on every path. */
  result: Operand;
  loc: Loc;
  /** Every name in use (source identifiers and IR variables), for collision-free generated names. */
  names: import("../naming.ts").Names;
}

// ---- generated functions -----------------------------------------------------------------

/** Types of generated signatures. */
export type TypeSpec =
  | { k: "number" }
  | { k: "boolean" }
  | { k: "Float64Array" }
  | { k: "number[]" }
  /** One of some strings (`"l1" | "l2"`). */
  | { k: "literals"; values: string[] }
  /** A tuple of numbers (`[number, number]`): a parameter's type, whose derivatives are `number[]`. */
  | { k: "tuple"; length: number; readonly?: boolean }
  /** An integer typed array (`Int32Array`, …). */
  | { k: "ints"; name: IntArrayName }
  /** An array of records or arrays (`{ W: Float64Array }[]`). */
  | { k: "list"; elem: TypeSpec }
  | { k: "object"; props: { name: string; type: TypeSpec; optional?: boolean }[] };

export interface Param {
  name: string;
  type: TypeSpec;
  optional?: boolean;
  /** A source parameter the caller may leave out: `name?: T`, or `name: T | undefined` before a required one. */
  maybe?: boolean;
  /** Its name in a function type, where a destructuring pattern may not rename (`{ scale }` for `{ scale: scale_1 }`). */
  typeName?: string;
  /** A default value (`{}` for a destructured parameter that may be left out), written after the type. */
  init?: string;
}

/** A generated function: signature, body and result, ready to simplify and print. */
export interface GenFunction {
  name: string;
  /** JSDoc text above the function. */
  doc: string;
  params: Param[];
  returnType: TypeSpec;
  body: Stmt[];
  /** The returned value (a record). */
  result: Expr;
  /** Types and kinds of every variable the body uses. */
  vars: Map<string, VarInfo>;
  /** The function's tape: its local name, and the module-level instance it begins. */
  tape?: { local: string; module: string };
  /** Returned on entry, before the body runs, when `when` holds (reading only the parameters). */
  guard?: { when: Expr; result: Expr };
  /** The source file the function was generated from (comments name other files). */
  file: string;
}

/** A generated module: what the printer turns into text. */
export interface GenModule {
  header: string;
  runtimeSpecifier: string;
  /** The directory the module is written to: imports of the user's modules are relative to it. */
  outDir?: string;
  /** Module-level tapes, in order. */
  tapes: string[];
  functions: GenFunction[];
}

export function isVar(o: Expr): o is VarRef {
  return o.kind === "var";
}
export function ref(name: string): VarRef {
  return { kind: "var", name };
}
export function num(value: number, text?: string): Const {
  return text === undefined ? { kind: "const", value } : { kind: "const", value, text };
}
export function bool(value: boolean): Const {
  return { kind: "const", value };
}

export function assertNever(x: never): never {
  throw new Error(`unhandled IR kind: ${JSON.stringify(x)}`);
}
