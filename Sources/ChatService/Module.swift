// The ChatService module. See README.md, Architecture.
