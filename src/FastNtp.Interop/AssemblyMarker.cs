namespace FastNtp.Interop;
