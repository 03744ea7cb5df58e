#include "service.h"

int main(int argc, char **argv)
{
    return svc_main(&auth_def, argc, argv);
}
