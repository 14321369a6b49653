"""Speech on the server, off the human path: recognisers that turn a channel's audio into
words (captions), behind one interface, each engine running locally on a model that
ships in a package (nothing is downloaded at run time)."""
