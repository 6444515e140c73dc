// rclab: see experiments/cli.cpp for the commands.
#include "experiments/cli.h"

int main(int argc, char** argv) { return rclab::experiments::rclab_main(argc, argv); }
