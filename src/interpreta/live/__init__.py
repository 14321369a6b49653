"""The live event: signaling over WebSocket, booth consoles, handover, listeners."""
