namespace FastNtp.Protocol;
