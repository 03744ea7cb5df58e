#include "service.h"

int main(int argc, char **argv)
{
    return svc_main(&runs_def, argc, argv);
}
