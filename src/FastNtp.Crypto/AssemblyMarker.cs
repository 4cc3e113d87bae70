namespace FastNtp.Crypto;
