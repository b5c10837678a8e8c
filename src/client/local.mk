# src/client
