// The ChatTransport module. See README.md, Architecture.
