#include "service.h"

int main(int argc, char **argv)
{
    return svc_main(&financial_def, argc, argv);
}
