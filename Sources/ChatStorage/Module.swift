// The ChatStorage module. See README.md, Architecture.
