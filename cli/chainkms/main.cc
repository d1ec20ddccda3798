// chainkms: the app developer's CLI (compose hashes today; deploys come with the gateway).
#include "cli/chainkms/chainkms_cli.h"

int main(int argc, char** argv) { return chainkms::cli::Main(argc, argv); }
