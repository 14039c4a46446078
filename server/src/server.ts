// LSP wiring only; features live in lsp/.
export {};
