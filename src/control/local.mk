# src/control
