// Placeholder until the WebAssembly backend lands: compiles nothing.
