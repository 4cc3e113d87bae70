namespace FastNtp.Server;
